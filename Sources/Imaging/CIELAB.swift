import Foundation

/// CIE 1976 L*a*b* of sRGB colours (D65 white), and the colour difference ΔE*ab between them: a
/// distance in which about 2.3 is a just-noticeable difference, whatever the hue or lightness,
/// unlike an RGB error, which is small for every dark colour.
public enum CIELAB {
    /// sRGB (IEC 61966-2-1) primaries to CIE XYZ, D65: the rows giving X, Y and Z.
    static let toXYZ: [SIMD3<Double>] = [
        SIMD3(0.412_456_4, 0.357_576_1, 0.180_437_5),
        SIMD3(0.212_672_9, 0.715_152_2, 0.072_175_0),
        SIMD3(0.019_333_9, 0.119_192_0, 0.950_304_1),
    ]
    /// The D65 reference white in XYZ.
    static let white = SIMD3<Double>(0.950_47, 1.0, 1.088_83)

    /// L* a* b* of an sRGB colour with channels in [0, 1].
    public static func lab(srgb r: Float, _ g: Float, _ b: Float) -> SIMD3<Double> {
        func linear(_ c: Float) -> Double { Double(ColorSpace.srgbToLinear(min(max(c, 0), 1))) }
        let rgb = SIMD3(linear(r), linear(g), linear(b))
        let xyz = SIMD3((toXYZ[0] * rgb).sum(), (toXYZ[1] * rgb).sum(), (toXYZ[2] * rgb).sum())
        // CIE's cube root with its linear segment below (6/29)³, so black is finite.
        func f(_ t: Double) -> Double {
            let e = 216.0 / 24389.0
            return t > e ? cbrt(t) : (24389.0 / 27.0 * t + 16) / 116
        }
        let fx = f(xyz.x / white.x), fy = f(xyz.y / white.y), fz = f(xyz.z / white.z)
        return SIMD3(116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    }

    /// ΔE*ab (CIE 1976): the Euclidean distance of two colours in L*a*b*.
    public static func deltaE(_ p: SIMD3<Double>, _ q: SIMD3<Double>) -> Double {
        let d = p - q
        return (d * d).sum().squareRoot()
    }
}

extension Metrics {
    /// Mean ΔE*ab over the pixels of `mask` (nil when it selects none): the colour error of an
    /// object, in which a black car turned dark green counts as much as a white one turned pale green.
    public static func meanDeltaE(_ a: RGBAImage, _ b: RGBAImage, mask: [Bool]) -> Double? {
        precondition(a.width == b.width && a.height == b.height, "images differ in size")
        var acc = 0.0, n = 0
        for i in 0..<(a.width * a.height) where mask[i] {
            let p = CIELAB.lab(srgb: a.pixels[4 * i], a.pixels[4 * i + 1], a.pixels[4 * i + 2])
            let q = CIELAB.lab(srgb: b.pixels[4 * i], b.pixels[4 * i + 1], b.pixels[4 * i + 2])
            acc += CIELAB.deltaE(p, q)
            n += 1
        }
        return n > 0 ? acc / Double(n) : nil
    }
}
