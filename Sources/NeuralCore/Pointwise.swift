// Conventions shared by the elementwise ops. Each op writes its loop inline inside
// Parallel.forRanges (a per-element closure call would stop vectorisation), and loads every operand
// before any comparison: a load under a condition cannot be vectorised and cost 10x here.

enum Pointwise {
    /// Elements per thread below which an elementwise op stays on one core.
    static let grain = 32768
}
