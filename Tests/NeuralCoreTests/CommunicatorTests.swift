import XCTest

@testable import NeuralCore

final class CommunicatorTests: XCTestCase {
    /// The ranks' shares of a batch are contiguous, disjoint, cover it, and differ by at most one.
    func testSharesPartitionTheBatch() {
        for size in 1...8 {
            for count in size...40 {
                let shares = (0..<size).map {
                    Communicator(rank: $0, size: size, localSize: size, usesMPI: false).share(of: count)
                }
                XCTAssertEqual(shares.first?.lowerBound, 0)
                XCTAssertEqual(shares.last?.upperBound, count)
                for (a, b) in zip(shares, shares.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                let sizes = shares.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(count) over \(size)")
            }
        }
    }

    /// One process: the collectives leave their numbers as they are, and no MPI is started outside mpirun.
    func testOneProcessCollectivesAreTheIdentity() throws {
        let t = Tensor([3])
        for k in 0..<3 { t[k] = Float(k) + 0.5 }
        var scalars: [Float] = [2]
        Communicator.single.sum([t], scalars: &scalars)
        XCTAssertEqual((0..<3).map { t[$0] }, [0.5, 1.5, 2.5])
        XCTAssertEqual(scalars, [2])
        XCTAssertTrue(Communicator.single.any(true))
        XCTAssertFalse(Communicator.single.any(false))
        if !Communicator.launchedByMPI {
            let world = try Communicator.world()
            XCTAssertEqual(world.size, 1)
            XCTAssertTrue(world.isRoot)
        }
    }
}
