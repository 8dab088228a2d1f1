import Foundation

/// A float32 tensor: one contiguous, 64-byte aligned buffer plus a row-major shape.
/// Ops take raw pointers (`data`) in the llm.c style; `Tensor` only owns memory.
public final class Tensor: @unchecked Sendable {
    /// Row-major extents, outermost first.
    public let shape: [Int]
    /// Number of elements, the product of `shape`.
    public let count: Int
    /// The storage, `count` floats.
    public let data: UnsafeMutablePointer<Float>
    /// Bumped by the methods that change the values (and by `Adam.update`): what was derived from
    /// them (a oneDNN chain's reordered weights) is rebuilt when it changes. Code that writes
    /// through `data` or the subscript into weights a derived copy depends on calls `modified()`.
    public private(set) var version = 0

    /// Marks the values as changed.
    public func modified() { version &+= 1 }

    /// Allocates a zero-filled tensor.
    public init(_ shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(1, count))
        data.initialize(repeating: 0, count: count)
    }

    /// A tensor holding `values` (count must match the shape).
    public convenience init(_ shape: [Int], values: [Float]) {
        self.init(shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    /// The storage as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    /// A copy of the values.
    public var array: [Float] { Array(buffer) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Sets every element to zero (the separate zeroing step before a backward pass).
    public func zero() {
        data.update(repeating: 0, count: count)
        modified()
    }
    public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
        modified()
    }
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy between tensors of \(other.count) and \(count) elements")
        data.update(from: other.data, count: count)
        modified()
    }
    public func clone() -> Tensor {
        let t = Tensor(shape)
        t.copy(from: self)
        return t
    }

    /// Fills with N(mean, std^2) draws from `rng`.
    public func fillNormal(mean: Float = 0, std: Float, rng: inout SplitMix64) {
        for i in 0..<count { data[i] = mean + std * rng.nextNormal() }
        modified()
    }

    /// Fills with uniform draws in [lo, hi).
    public func fillUniform(_ lo: Float, _ hi: Float, rng: inout SplitMix64) {
        for i in 0..<count { data[i] = lo + (hi - lo) * rng.nextFloat() }
        modified()
    }

    /// True if every element is finite.
    public var isFinite: Bool {
        for i in 0..<count where !data[i].isFinite { return false }
        return true
    }
}
