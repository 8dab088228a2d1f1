import Geometry
import XCTest

final class RotationTests: XCTestCase {
    func mul(_ A: [Double], _ B: [Double]) -> [Double] {
        var C = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { C[i * 3 + j] += A[i * 3 + k] * B[k * 3 + j] } } }
        return C
    }
    func transpose(_ A: [Double]) -> [Double] { (0..<9).map { A[($0 % 3) * 3 + $0 / 3] } }

    func testAxisAngleRoundTripAndOrthonormal() {
        for w in [[0.3, -0.2, 0.9], [0, 0, 0], [1e-9, 0, 0], [0, 3.0, 0.1], [-1.2, 0.4, 0.4]] {
            let R = Rotation.matrix(axisAngle: w)
            let I = mul(R, transpose(R))
            for i in 0..<9 { XCTAssertEqual(I[i], i % 4 == 0 ? 1 : 0, accuracy: 1e-12) }
            let back = Rotation.axisAngle(matrix: R)
            for i in 0..<3 { XCTAssertEqual(back[i], w[i], accuracy: 1e-9) }
        }
        // 90 degrees about +z maps +x to +y.
        let R = Rotation.matrix(axisAngle: [0, 0, Double.pi / 2])
        XCTAssertEqual(R[3], 1, accuracy: 1e-12)  // row 1, column 0
    }

    func testJacobianMatchesFiniteDifferences() {
        for w in [[0.3, -0.2, 0.9], [0, 0, 0], [2e-7, -1e-7, 3e-7], [0, 2.8, 0.5]] {
            let J = Rotation.matrixWithJacobian(axisAngle: w).jacobian
            let h = 1e-6
            for i in 0..<3 {
                var wp = w, wm = w
                wp[i] += h
                wm[i] -= h
                let Rp = Rotation.matrix(axisAngle: wp), Rm = Rotation.matrix(axisAngle: wm)
                for k in 0..<9 {
                    XCTAssertEqual(J[k * 3 + i], (Rp[k] - Rm[k]) / (2 * h), accuracy: 1e-6, "w \(w) entry \(k) d\(i)")
                }
            }
        }
    }

    func testLookAtUsesOpenCVAxes() throws {
        // Camera on +x looking at the origin, +z up: forward is -x, image down is -z, right is +y.
        let M = try XCTUnwrap(LookAt.cameraToWorld(eye: [3, 0, 0]))
        let right = [M[0], M[4], M[8]], down = [M[1], M[5], M[9]], fwd = [M[2], M[6], M[10]]
        for (a, b) in zip(fwd, [-1.0, 0, 0]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (a, b) in zip(down, [0.0, 0, -1]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (a, b) in zip(right, [0.0, 1, 0]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual([M[3], M[7], M[11], M[15]], [3, 0, 0, 1])
        XCTAssertNil(LookAt.cameraToWorld(eye: [0, 0, 3]))  // looking straight down the up vector
        XCTAssertNil(LookAt.cameraToWorld(eye: [0, 0, 0]))
    }
}
