import FileIO

/// Part `number` of `count` of a list (1 ≤ number ≤ count): the items whose index i has
/// i mod count = number - 1. `invert --shard` and `eval --shard` spread a folder over the tasks of a
/// Slurm array or over GNU parallel's jobs; `eval --merge` puts the shards' reports back together.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let number: Int
    public let count: Int

    /// From "K/N"; nil with the reason for anything else.
    public static func parse(_ text: String) -> Result<Shard, FileError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), (1...100_000).contains(n),
            (1...n).contains(k)
        else {
            return .failure(
                FileError(path: "--shard", reason: "takes K/N with 1 ≤ K ≤ N ≤ 100000 (got '\(text.prefix(40))')"))
        }
        return .success(Shard(number: k, count: n))
    }

    public init(number: Int, count: Int) {
        precondition((1...count).contains(number), "shard number in 1...count")
        self.number = number
        self.count = count
    }

    /// The items of this shard, in their order.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == number - 1 }.map(\.element)
    }

    public var description: String { "\(number)/\(count)" }
}
