import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): the one source of randomness, so that the same seed
/// gives the same dataset, the same initialisation and the same training run.
public struct SplitMix64: RandomNumberGenerator, Codable, Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Standard normal draw (Box-Muller).
    public mutating func nextNormal() -> Float {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - nextDouble(), u2 = nextDouble()
        return Float((-2.0 * Foundation.log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n.
    public mutating func nextInt(_ n: Int) -> Int { Int(next(upperBound: UInt64(n))) }

    /// An independent stream derived from this one (for per-object or per-thread generators).
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}
