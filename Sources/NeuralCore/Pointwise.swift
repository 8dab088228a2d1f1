// Shared elementwise loop: both cores for large inputs, one for small.
// N elements.

enum Pointwise {
    /// Grain below which a pointwise op stays on one core.
    static let grain = 32768

    @inline(__always)
    static func map(_ n: Int, _ body: (Int) -> Void) {
        Parallel.forRanges(n, grain: grain) { r in for i in r { body(i) } }
    }
}
