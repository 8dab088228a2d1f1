import CShims
import NeuralCore
import XCTest

final class BLASKernelTests: XCTestCase {
    func features(avx2: Bool, avx512: Bool, bf16: Bool = false, os: Bool = true) -> nv_cpu_features {
        var f = nv_cpu_features()
        let a2: Int32 = avx2 ? 1 : 0, a5: Int32 = avx512 ? 1 : 0
        f.avx = a2
        f.avx2 = a2
        f.fma = a2
        f.os_saves_ymm = os ? a2 : 0
        f.avx512f = a5
        f.avx512dq = a5
        f.avx512cd = a5
        f.avx512bw = a5
        f.avx512vl = a5
        f.avx512bf16 = bf16 ? 1 : 0
        f.os_saves_zmm = os ? a5 : 0
        return f
    }

    func testPreferredCore() {
        XCTAssertEqual(BLASKernel.preferredCore(for: features(avx2: true, avx512: true)), "SkylakeX")
        XCTAssertEqual(BLASKernel.preferredCore(for: features(avx2: true, avx512: true, bf16: true)), "Cooperlake")
        XCTAssertEqual(BLASKernel.preferredCore(for: features(avx2: true, avx512: false)), "Haswell")
        XCTAssertNil(BLASKernel.preferredCore(for: features(avx2: false, avx512: false)))
        // The OS does not save AVX-512 state: those kernels would fault.
        XCTAssertEqual(BLASKernel.preferredCore(for: features(avx2: true, avx512: true, os: false)), nil)
    }

    func testReexecDecision() {
        let none: [String: String] = [:]
        XCTAssertEqual(BLASKernel.reexecCore(current: "Prescott", preferred: "SkylakeX", environment: none), "SkylakeX")
        XCTAssertEqual(BLASKernel.reexecCore(current: "Haswell", preferred: "SkylakeX", environment: none), "SkylakeX")
        XCTAssertNil(BLASKernel.reexecCore(current: "SkylakeX", preferred: "SkylakeX", environment: none))
        XCTAssertEqual(
            BLASKernel.reexecCore(current: "Sandybridge", preferred: "Haswell", environment: none), "Haswell")
        XCTAssertNil(BLASKernel.reexecCore(current: "Zen", preferred: "Haswell", environment: none))
        XCTAssertNil(BLASKernel.reexecCore(current: "Prescott", preferred: nil, environment: none))
        // A user's explicit choice wins; a re-executed process never re-executes again.
        XCTAssertNil(
            BLASKernel.reexecCore(
                current: "Prescott", preferred: "SkylakeX", environment: ["OPENBLAS_CORETYPE": "Prescott"]))
        XCTAssertNil(
            BLASKernel.reexecCore(
                current: "Prescott", preferred: "SkylakeX", environment: [BLASKernel.defaultCoreVariable: "Prescott"]))
        XCTAssertNil(
            BLASKernel.reexecCore(
                current: "Prescott", preferred: "SkylakeX", environment: [BLASKernel.rejectedVariable: "SkylakeX"]))
    }

    func testLoadedKernelIsCorrect() {
        XCTAssertFalse(BLAS.coreName.isEmpty)
        XCTAssertLessThan(BLASKernel.verificationError(), BLASKernel.verificationTolerance)
    }
}
