import Foundation

/// Data-parallel loops over both cores with `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Worker count; defaults to the machine's active cores.
    nonisolated(unsafe) public static var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` over contiguous chunks covering 0..<n, one chunk per thread. Work smaller than
    /// `grain` items per thread runs serially, where thread start-up would cost more than it saves.
    public static func forRanges(_ n: Int, grain: Int = 1024, _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let chunks = min(threads, max(1, n / max(1, grain)))
        if chunks <= 1 {
            body(0..<n)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((n * c / chunks)..<(n * (c + 1) / chunks))
        }
    }

    /// Like `forRanges` but also passes the chunk index (0..<chunks), for per-thread scratch.
    /// Returns the number of chunks used.
    @discardableResult
    static func forChunks(_ n: Int, grain: Int = 1024, _ body: (Int, Range<Int>) -> Void) -> Int {
        guard n > 0 else { return 0 }
        let chunks = min(threads, max(1, n / max(1, grain)))
        if chunks <= 1 {
            body(0, 0..<n)
            return 1
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, (n * c / chunks)..<(n * (c + 1) / chunks))
        }
        return chunks
    }
}
