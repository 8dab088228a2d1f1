import Foundation

/// The memory a command may plan to use: paths whose buffers grow with an input (batch flags, image
/// sizes, model configs) check their need against it before allocating and refuse with both numbers.
public enum MemoryBudget {
    /// The default limit: a sixth of the 24 GB machine, well above what any shipped setting needs
    /// (training the second generation plans ~0.3 GB of step buffers).
    public static let defaultLimitGB = 4.0
    nonisolated(unsafe) public static var limitBytes = defaultLimitGB * 1e9

    struct Exceeded: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws when `bytes` (for `what`) exceed the limit.
    public static func check(_ bytes: Double, for what: String) throws {
        guard bytes > limitBytes else { return }
        throw Exceeded(
            description: String(
                format: "%@ needs %.1f GB; the limit is %.1f GB, set by --max-memory", what, bytes / 1e9,
                limitBytes / 1e9))
    }
}
