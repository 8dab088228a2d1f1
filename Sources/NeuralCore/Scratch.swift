import Foundation

/// Recycled temporary buffers for ops. Fresh multi-megabyte allocations come from mmap and cost a
/// page fault per 4 KB on first touch (a 16 MB ReLU mask took longer to fault in than to compute),
/// so ops borrow from this pool instead and hand the memory back when done.
public enum Scratch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pool: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    /// Buffers kept for reuse; beyond this the smallest is freed.
    static let maxPooled = 8

    /// Runs `body` with an uninitialised buffer of at least `count` floats.
    @inline(__always)
    public static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = take(max(1, count))
        defer { give(buffer) }
        return try body(buffer.pointer)
    }

    static func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        defer { lock.unlock() }
        var best: Int? = nil
        for (i, b) in pool.enumerated() where b.capacity >= count {
            if best == nil || b.capacity < pool[best!].capacity { best = i }
        }
        if let best { return pool.remove(at: best) }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: count), count)
    }

    static func give(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        defer { lock.unlock() }
        pool.append(buffer)
        if pool.count > maxPooled {
            let smallest = pool.indices.min { pool[$0].capacity < pool[$1].capacity }!
            pool.remove(at: smallest).pointer.deallocate()
        }
    }
}
