import CShims
import Foundation

/// The processes of a data-parallel run and the collectives they share: one process on its own,
/// or the ranks `mpirun` started (Open MPI, opened at run time by CShims' bridge, so nerfinv
/// builds and runs where it is not installed).
///
/// Every rank draws the same global batch from the same seed and works on its contiguous share
/// (`share(of:)`); gradients are summed in place (`sum`), so all ranks take the same optimiser
/// step and their weights stay equal without ever being sent.
public final class Communicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    let usesMPI: Bool
    /// Ranks of this run on this machine (they share its cores).
    public let localSize: Int

    public var isRoot: Bool { rank == 0 }

    init(rank: Int, size: Int, localSize: Int, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.localSize = localSize
        self.usesMPI = usesMPI
    }

    /// One process on its own: every collective is the identity.
    public static let single = Communicator(rank: 0, size: 1, localSize: 1, usesMPI: false)

    /// Whether `mpirun` started this process.
    public static var launchedByMPI: Bool { nv_mpi_launched() != 0 }

    nonisolated(unsafe) private static var cachedWorld: Communicator?

    /// The ranks `mpirun` started, initialising MPI on first use, or `single` outside `mpirun`.
    /// Throws when `mpirun` started the process and Open MPI cannot be loaded.
    public static func world() throws -> Communicator {
        if let cachedWorld { return cachedWorld }
        guard launchedByMPI else { return single }
        var error = [CChar](repeating: 0, count: 512)
        guard nv_mpi_init(&error, error.count) == 0 else {
            throw CommunicatorError(
                "started by mpirun, but "
                    + String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let local = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
        let world = Communicator(
            rank: Int(nv_mpi_rank()), size: Int(nv_mpi_size()), localSize: max(1, local), usesMPI: true)
        cachedWorld = world
        return world
    }

    /// The world if MPI is already running, else `single` (for code that must not start MPI).
    public static var current: Communicator { cachedWorld ?? single }

    /// This rank's contiguous share of `count` items: the first `count mod size` ranks take one more.
    public func share(of count: Int) -> Range<Int> {
        let lower = rank * count / size, upper = (rank + 1) * count / size
        return lower..<upper
    }

    /// Sums `count` floats over the ranks, in place.
    public func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard usesMPI, size > 1 else { return }
        check(nv_mpi_allreduce_sum_float(buffer, count), "MPI_Allreduce (sum)")
    }

    /// Sums the tensors and the scalars over the ranks, in one allreduce of their concatenation.
    public func sum(_ tensors: [Tensor], scalars: inout [Float]) {
        guard usesMPI, size > 1 else { return }
        let n = tensors.reduce(0) { $0 + $1.count } + scalars.count
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: n)  // (n)
        defer { packed.deallocate() }
        var k = 0
        for t in tensors {
            (packed + k).update(from: t.data, count: t.count)
            k += t.count
        }
        for s in scalars {
            packed[k] = s
            k += 1
        }
        sum(packed, count: n)
        k = 0
        for t in tensors {
            t.data.update(from: packed + k, count: t.count)
            k += t.count
        }
        for j in scalars.indices { scalars[j] = packed[k + j] }
    }

    /// Whether any rank says true: decisions every rank must take together (a stop request).
    public func any(_ flag: Bool) -> Bool {
        guard usesMPI, size > 1 else { return flag }
        var value: Double = flag ? 1 : 0
        check(nv_mpi_allreduce_max_double(&value, 1), "MPI_Allreduce (max)")
        return value > 0
    }

    /// Ends MPI cleanly (after the last collective of a run every rank finished).
    public func finish() {
        guard usesMPI else { return }
        _ = nv_mpi_finalize()
    }

    /// Ends every rank of the job at once: the way out of an error only some ranks met, which
    /// would otherwise leave the rest waiting in their next collective.
    public func abortAll(code: Int32) -> Never {
        if usesMPI { nv_mpi_abort(code) }
        exit(code)
    }

    /// Open MPI's default handler ends the job on a failed collective; a code that comes back anyway
    /// ends it here, since the ranks can no longer agree.
    func check(_ rc: Int32, _ what: String) {
        guard rc != 0 else { return }
        FileHandle.standardError.write(Data("error: \(what) failed on rank \(rank) of \(size)\n".utf8))
        abortAll(code: 1)
    }
}

/// MPI could not be started for a process `mpirun` launched.
public struct CommunicatorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
