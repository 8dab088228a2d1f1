import XCTest

@testable import Pipeline

/// The step-time model of `nerfinv bench data-parallel`.
final class DataParallelModelTests: XCTestCase {
    func testRingAllreduceModel() {
        let rows = DataParallelBenchmark.model(
            computeSeconds: 0.1, rays: 8192, bytes: 10_000_000, machines: [1, 2, 4], gigabitsPerSecond: [10],
            latency: 0)
        XCTAssertEqual(rows.map(\.machines), [1, 2, 4])
        // One machine sends nothing; two send half... of 2 x 10 MB at 10 Gbit/s: 8 ms.
        XCTAssertEqual(rows[0].communicationSeconds, 0)
        XCTAssertEqual(rows[0].stepSeconds, 0.1, accuracy: 1e-12)
        XCTAssertEqual(rows[1].communicationSeconds, 0.008, accuracy: 1e-9)
        XCTAssertEqual(rows[1].stepSeconds, 0.05 + 0.008, accuracy: 1e-9)
        XCTAssertEqual(rows[2].communicationSeconds, 0.012, accuracy: 1e-9)
        // Communication is a tenth of each machine's compute at that batch: 10 x 0.008 x 2 / (0.1 / 8192).
        XCTAssertEqual(rows[1].raysWhereCommunicationFades, 10 * 0.008 * 2 / (0.1 / 8192), accuracy: 1e-6)
    }
}
