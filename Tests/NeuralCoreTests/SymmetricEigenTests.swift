import NeuralCore
import TestSupport
import XCTest

final class SymmetricEigenTests: XCTestCase {
    func testReconstructsMatrix() throws {
        var rng = SplitMix64(seed: 50)
        let n = 6
        var B = [Double](repeating: 0, count: n * n)
        for i in 0..<(n * n) { B[i] = rng.nextDouble() - 0.5 }
        var A = [Double](repeating: 0, count: n * n)  // B B^T: symmetric positive semi-definite
        for i in 0..<n { for j in 0..<n { A[i * n + j] = (0..<n).reduce(0) { $0 + B[i * n + $1] * B[j * n + $1] } } }
        let (values, V) = try XCTUnwrap(SymmetricEigen.decompose(A, n: n))
        XCTAssertEqual(values, values.sorted())
        for i in 0..<n {
            for j in 0..<n {
                let r = (0..<n).reduce(0.0) { $0 + V[i * n + $1] * values[$1] * V[j * n + $1] }
                XCTAssertEqual(r, A[i * n + j], accuracy: 1e-10)
            }
        }
        XCTAssertNil(SymmetricEigen.decompose([1, .nan, .nan, 1], n: 2))
    }
}
