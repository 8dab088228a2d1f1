import Foundation

/// Opt-in wall-clock accounting of named phases (for `nerfinv bench ... --profile`). Disabled, a
/// phase costs one branch; enabled, the totals are kept under a lock, so work on other threads
/// (a second inversion in the same process) cannot corrupt them.
public enum Profiler {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) static var totals: [String: Double] = [:]
    nonisolated(unsafe) static var order: [String] = []
    static let lock = NSLock()

    @inline(__always)
    public static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let t0 = Timing.now()
        let result = try body()
        let dt = Timing.now() - t0
        lock.lock()
        defer { lock.unlock() }
        if totals[name] == nil { order.append(name) }
        totals[name, default: 0] += dt
        return result
    }

    public static func reset() {
        lock.lock()
        defer { lock.unlock() }
        totals = [:]
        order = []
    }

    /// Phases in first-seen order with their total seconds.
    public static var report: [(name: String, seconds: Double)] {
        lock.lock()
        defer { lock.unlock() }
        return order.map { ($0, totals[$0]!) }
    }
}
