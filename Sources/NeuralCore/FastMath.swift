// Inlined float exp and log (Cephes-style range reduction and minimax polynomials, about 2 ulp)
// for per-point activation code such as the lit colour head, where a dozen libm calls a point
// (expf, log1pf, powf, each an out-of-line call with its own overflow paths) cost more than the
// arithmetic around them. Checked against libm in Double over their ranges (FastMathTests).

/// exp, log, log1p of positive small values, and pow with a constant exponent.
public enum FastMath {
    /// The range `exp` clamps its input to: below, the result underflows to about 1e-38; above, 2^n would overflow.
    @usableFromInline static let expLow: Float = -87.3
    @usableFromInline static let expHigh: Float = 88.3

    /// e^x, 2 ulp in [-87.3, 88.3]; inputs are clamped to that range (exp(-87.3) ≈ 1.2e-38, and
    /// 88.3 keeps 2^n finite).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let x = min(max(x, expLow), expHigh)
        // x = n ln2 + r, |r| ≤ ln2 / 2, ln2 split so that n ln2hi is exact.
        // Round to nearest by adding and subtracting 1.5 * 2^23 (no call to a rounding function:
        // the baseline x86-64 target has no roundss).
        let n = (x * 1.442_695_04 + 12_582_912) - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let e = p * r * r + r + 1
        return e * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
    }

    /// ln x for x > 0 (normal), 2 ulp; 0 and below give a large negative number, not NaN.
    @inlinable @inline(__always)
    public static func log(_ x: Float) -> Float {
        let x = max(x, Float.leastNormalMagnitude)
        let bits = x.bitPattern
        var e = Float(Int32(bitPattern: (bits >> 23) & 0xff) - 126)
        var m = Float(bitPattern: (bits & 0x007f_ffff) | 0x3f00_0000)  // in [0.5, 1)
        if m < 0.707_106_78 {  // keep m in [sqrt(1/2), sqrt(2))
            e -= 1
            m = m + m - 1
        } else {
            m = m - 1
        }
        let z = m * m
        var p: Float = 7.037_683_6e-2
        p = p * m - 1.151_461_03e-1
        p = p * m + 1.167_699_87e-1
        p = p * m - 1.242_014_08e-1
        p = p * m + 1.424_932_28e-1
        p = p * m - 1.666_805_77e-1
        p = p * m + 2.000_071_48e-1
        p = p * m - 2.499_999_4e-1
        p = p * m + 3.333_333_1e-1
        var y = m * z * p
        y += -2.121_944_4e-4 * e
        y += -0.5 * z
        return m + y + 0.693_359_375 * e
    }

    /// ln(1 + t) for t ≥ 0: 1 + t rounds away t's low bits, so the log of the rounded u = 1 + t is
    /// scaled by t / (u - 1), the ratio the rounding changed it by (Goldberg's correction).
    @inlinable @inline(__always)
    public static func log1p(_ t: Float) -> Float {
        let u = 1 + t
        return u == 1 ? t : log(u) * (t / (u - 1))
    }

    /// 1 / (1 + e^-x), through e^-|x| so that nothing overflows.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        let e = exp(-abs(x))
        let s = 1 / (1 + e)
        return x >= 0 ? s : e * s
    }

    /// log(1 + e^x), without overflow.
    @inlinable @inline(__always)
    public static func softplus(_ x: Float) -> Float { max(x, 0) + log1p(exp(-abs(x))) }

    /// x^y for x > 0.
    @inlinable @inline(__always)
    public static func pow(_ x: Float, _ y: Float) -> Float { exp(y * log(x)) }
}
