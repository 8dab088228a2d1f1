import Foundation

/// Opt-in wall-clock accounting of named ops (for `nerfinv bench ... --profile`). Disabled, an op
/// costs one branch; enabled, the totals are kept under a lock, so work on other threads (a second
/// inversion in the same process) cannot corrupt them.
///
/// Measures nest: an op measured inside another is reported under it ("backward: generator /
/// stage 3"), and every matrix product run while ops are open (`gemm`) is counted against each of
/// them, so a line's GFLOPS covers its children too and can be set against raw sgemm at the same
/// shapes.
public enum Profiler {
    /// One matrix product C (M, N) = op(A) (M, K) op(B) (K, N), as a dense layer or convolution ran it.
    public struct GEMM: Hashable, Sendable {
        public var M, N, K: Int
        public var transA, transB: Bool
        public var flops: Double { 2 * Double(M) * Double(N) * Double(K) }
    }

    /// What one op took over all its calls.
    public struct Entry: Sendable {
        /// The op's path: its own name last, the names of the ops it ran inside before it.
        public var path: [String]
        public var seconds: Double = 0
        public var calls = 0
        /// Matrix products run inside the op (children included), with how often each shape ran.
        public var gemms: [GEMM: Int] = [:]
        public var flops: Double { gemms.reduce(0) { $0 + $1.key.flops * Double($1.value) } }
    }

    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) static var entries: [String: Entry] = [:]
    nonisolated(unsafe) static var order: [String] = []
    /// Keys of the ops now open, outermost first (ops are opened by the thread that drives a step).
    nonisolated(unsafe) static var open: [String] = []
    static let lock = NSLock()

    /// The name is built only when profiling is on (stage names are interpolated per call).
    @inline(__always)
    public static func measure<T>(_ name: @autoclosure () -> String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        lock.lock()
        let parent = open.last.map { entries[$0]!.path } ?? []
        let path = parent + [name()], key = path.joined(separator: " / ")
        if entries[key] == nil {
            entries[key] = Entry(path: path)
            order.append(key)
        }
        open.append(key)
        lock.unlock()
        let t0 = Timing.now()
        let result = try body()
        let dt = Timing.now() - t0
        lock.lock()
        defer { lock.unlock() }
        entries[key]!.seconds += dt
        entries[key]!.calls += 1
        if let i = open.lastIndex(of: key) { open.remove(at: i) }
        return result
    }

    /// Counts one matrix product against every open op (callers check `enabled` first).
    public static func gemm(M: Int, N: Int, K: Int, transA: Bool = false, transB: Bool = false) {
        guard enabled, M > 0, N > 0, K > 0 else { return }
        let g = GEMM(M: M, N: N, K: K, transA: transA, transB: transB)
        lock.lock()
        defer { lock.unlock() }
        for key in open { entries[key]!.gemms[g, default: 0] += 1 }
    }

    public static func reset() {
        lock.lock()
        defer { lock.unlock() }
        entries = [:]
        order = []
        open = []
    }

    /// Ops in first-seen order with their total seconds.
    public static var report: [(name: String, seconds: Double)] {
        lock.lock()
        defer { lock.unlock() }
        return order.map { ($0, entries[$0]!.seconds) }
    }

    /// Ops in first-seen order, children after their parents, with their products.
    public static var profile: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        let all = order.map { entries[$0]! }
        // Depth-first: each entry followed by its children, in first-seen order.
        func children(of path: [String]) -> [Entry] {
            all.filter { $0.path.count == path.count + 1 && Array($0.path.dropLast()) == path }
                .flatMap { [$0] + children(of: $0.path) }
        }
        return children(of: [])
    }
}
