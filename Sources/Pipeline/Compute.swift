import Foundation
import NeuralCore

/// The process's compute resources, as an application sets them up: the OpenBLAS kernel, the
/// threads of nerfinv's loops and OpenBLAS, the memory step buffers may plan for, and a stop flag
/// that SIGINT and SIGTERM raise (a training loop then saves a checkpoint and stops cleanly).
public enum Compute {
    /// Must run before any BLAS work: may re-execute the process with a faster OpenBLAS kernel.
    /// Also sets flush-to-zero on the main thread, as `Parallel` does on its workers.
    public static func ensureBestKernel() {
        BLASKernel.ensureBestKernel()
        Parallel.flushDenormals()
    }

    /// Threads for each of `ranksHere` processes that share this machine's cores (mpirun's ranks on it).
    public static func threads(sharedBy ranksHere: Int) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, ranksHere))
    }

    /// The memory budget's default, GB.
    public static var defaultMemoryGB: Double { MemoryBudget.defaultLimitGB }

    /// Threads for both nerfinv's loops and OpenBLAS.
    public static func use(threads: Int) {
        Parallel.threads = threads
        BLAS.threads = threads
        OneDNN.use(threads: threads)
    }

    /// The most memory a run's planned step buffers may take, GB.
    public static func limitMemory(gigabytes: Double) { MemoryBudget.limitBytes = gigabytes * 1e9 }

    /// Raised by SIGINT or SIGTERM once `catchStopSignals` ran.
    public static var stopRequested: Bool { stopFlag != 0 }

    /// From now on Ctrl-C and SIGTERM ask for a clean stop instead of ending the process.
    public static func catchStopSignals() {
        signal(SIGINT) { _ in stopFlag = 1 }
        signal(SIGTERM) { _ in stopFlag = 1 }
    }
}

/// Set by SIGINT/SIGTERM (a signal handler may only write a `sig_atomic_t`).
nonisolated(unsafe) private var stopFlag: sig_atomic_t = 0
