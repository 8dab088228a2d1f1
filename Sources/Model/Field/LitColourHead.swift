import Foundation
import NeuralCore

// The lit field's output activations. N points, K = 17 raw outputs per point, V = 12 viewing
// conditions per point (see ViewingConditions).

/// Density and a shaded sRGB colour from a point's raw outputs (N, 17) and its viewing conditions
/// (N, 12), with the structure of the renderers that make the data (linear light, then sRGB):
///
///     σ   = exp(min(raw0 + densityBias, max))
///     a   = sigmoid(raw1...3)                     albedo
///     o   = sigmoid(raw4)                         ambient occlusion
///     d   = softplus(raw5 + raw6...8 · l)         diffuse response to the key light (≈ n·l, shadowed)
///     s   = softplus(raw9 - 4 + raw10...12 · h)   key highlight, h = normalize(l + v)
///     e   = softplus(raw13 - 4 + raw14...16 · v)  sky reflection (Fresnel grows at grazing views)
///     lin = a ⊙ (sky o + key d) + key s + sky e
///     rgb = sRGB(lin)
///
/// v points from the sample to the camera, l towards the key light; key and sky are the light's
/// linear RGB (exposure included). Lighting enters only here, so a code describes the object
/// under any light, and a photo's light is one more thing inversion can estimate.
///
/// exp, sigmoid, softplus and the sRGB power run on `FastMath`'s inlined versions (about 2 ulp):
/// with libm's they were a third of a refinement step's field time.
public enum LitColourHead {
    /// Raw outputs per point.
    public static let rawCount = 17
    /// Highlights and sky reflection start near zero (softplus(-4) ≈ 0.018) instead of adding half
    /// the key light everywhere: an untrained field should look like a matte grey object.
    static let highlightOffset: Float = -4
    /// Below this the sRGB curve is its linear toe (IEC 61966-2-1).
    static let srgbToe: Float = 0.0031308
    /// Guard for normalize(l + v) when the light is exactly behind the sample as seen from the camera.
    static let halfVectorEpsilon: Float = 1e-6

    @inline(__always) static func srgb(_ x: Float) -> (value: Float, slope: Float) {
        if x <= srgbToe { return (12.92 * x, 12.92) }
        let p = FastMath.pow(x, 1 / 2.4)
        return (1.055 * p - 0.055, 1.055 / 2.4 * p / x)
    }

    @inline(__always) static func softplus(_ x: Float) -> Float { FastMath.softplus(x) }

    /// Only the density of `forward`: sigma (N) from raw (N, K).
    static func density(sigma: UnsafeMutablePointer<Float>, raw: UnsafePointer<Float>, densityBias: Float, N: Int) {
        Parallel.forRanges(N, grain: 8192) { r in
            for n in r { sigma[n] = FastMath.exp(min(raw[n * rawCount] + densityBias, ClampedExp.maxInput)) }
        }
    }

    /// The density and the albedo alone, in sRGB: the colour with the light taken out (a de-lit
    /// texture), sigma (N) and rgb (N, 3) from raw (N, K).
    public static func albedo(
        sigma: UnsafeMutablePointer<Float>,  // (N)
        rgb: UnsafeMutablePointer<Float>,  // (N, 3)
        raw: UnsafePointer<Float>,  // (N, K)
        densityBias: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: 4096) { r in
            for n in r {
                let q = raw + n * rawCount
                sigma[n] = FastMath.exp(min(q[0] + densityBias, ClampedExp.maxInput))
                for c in 0..<3 { rgb[3 * n + c] = srgb(FastMath.sigmoid(q[1 + c])).value }
            }
        }
    }

    public static func forward(
        sigma: UnsafeMutablePointer<Float>,  // (N)
        rgb: UnsafeMutablePointer<Float>,  // (N, 3)
        raw: UnsafePointer<Float>,  // (N, K)
        conditions: UnsafePointer<Float>,  // (N, V)
        densityBias: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: 4096) { r in
            for n in r {
                let q = raw + n * rawCount, c = conditions + n * ViewingConditions.count
                sigma[n] = FastMath.exp(min(q[0] + densityBias, ClampedExp.maxInput))
                let v = SIMD3(c[0], c[1], c[2]), l = SIMD3(c[3], c[4], c[5])
                let key = SIMD3(c[6], c[7], c[8]), sky = SIMD3(c[9], c[10], c[11])
                let hs = l + v
                let h = hs / max((hs * hs).sum().squareRoot(), halfVectorEpsilon)
                let a = SIMD3(FastMath.sigmoid(q[1]), FastMath.sigmoid(q[2]), FastMath.sigmoid(q[3]))
                let o = FastMath.sigmoid(q[4])
                let d = softplus(q[5] + q[6] * l.x + q[7] * l.y + q[8] * l.z)
                let s = softplus(q[9] + highlightOffset + q[10] * h.x + q[11] * h.y + q[12] * h.z)
                let e = softplus(q[13] + highlightOffset + q[14] * v.x + q[15] * v.y + q[16] * v.z)
                let lin = a * (sky * o + key * d) + key * s + sky * e
                rgb[3 * n] = srgb(lin.x).value
                rgb[3 * n + 1] = srgb(lin.y).value
                rgb[3 * n + 2] = srgb(lin.z).value
            }
        }
    }

    /// dRaw (N, K) += and, when given, dConditions (N, V) += from dSigma (N) and dRGB (N, 3).
    public static func backward(
        dRaw: UnsafeMutablePointer<Float>,  // (N, K)
        dConditions: UnsafeMutablePointer<Float>?,  // (N, V)
        dSigma: UnsafePointer<Float>,  // (N)
        dRGB: UnsafePointer<Float>,  // (N, 3)
        raw: UnsafePointer<Float>,  // (N, K)
        conditions: UnsafePointer<Float>,  // (N, V)
        sigma: UnsafePointer<Float>,  // (N)
        densityBias: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: 4096) { r in
            for n in r {
                let q = raw + n * rawCount, c = conditions + n * ViewingConditions.count
                let g = dRaw + n * rawCount
                g[0] += q[0] + densityBias < ClampedExp.maxInput ? dSigma[n] * sigma[n] : 0
                let v = SIMD3(c[0], c[1], c[2]), l = SIMD3(c[3], c[4], c[5])
                let key = SIMD3(c[6], c[7], c[8]), sky = SIMD3(c[9], c[10], c[11])
                let hs = l + v
                let hn = (hs * hs).sum().squareRoot()
                let clampedNorm = hn < halfVectorEpsilon
                let h = hs / max(hn, halfVectorEpsilon)
                let a = SIMD3(FastMath.sigmoid(q[1]), FastMath.sigmoid(q[2]), FastMath.sigmoid(q[3]))
                let o = FastMath.sigmoid(q[4])
                let xd = q[5] + q[6] * l.x + q[7] * l.y + q[8] * l.z
                let xs = q[9] + highlightOffset + q[10] * h.x + q[11] * h.y + q[12] * h.z
                let xe = q[13] + highlightOffset + q[14] * v.x + q[15] * v.y + q[16] * v.z
                let d = softplus(xd), s = softplus(xs), e = softplus(xe)
                let shade = sky * o + key * d
                let lin = a * shade + key * s + sky * e
                // dLin = dRGB · sRGB'(lin)
                let dLin = SIMD3(
                    dRGB[3 * n] * srgb(lin.x).slope, dRGB[3 * n + 1] * srgb(lin.y).slope,
                    dRGB[3 * n + 2] * srgb(lin.z).slope)
                let dA = dLin * shade * a * (1 - a)
                g[1] += dA.x
                g[2] += dA.y
                g[3] += dA.z
                let dO = (dLin * a * sky).sum()
                g[4] += dO * o * (1 - o)
                let dXd = (dLin * a * key).sum() * FastMath.sigmoid(xd)
                let dXs = (dLin * key).sum() * FastMath.sigmoid(xs)
                let dXe = (dLin * sky).sum() * FastMath.sigmoid(xe)
                g[5] += dXd
                g[6] += dXd * l.x
                g[7] += dXd * l.y
                g[8] += dXd * l.z
                g[9] += dXs
                g[10] += dXs * h.x
                g[11] += dXs * h.y
                g[12] += dXs * h.z
                g[13] += dXe
                g[14] += dXe * v.x
                g[15] += dXe * v.y
                g[16] += dXe * v.z
                guard let dConditions else { continue }
                let dc = dConditions + n * ViewingConditions.count
                // d/dh of xs, then through h = hs / |hs|: dhs = (dh - h (h·dh)) / |hs|.
                let dH = dXs * SIMD3(q[10], q[11], q[12])
                let dHs = clampedNorm ? dH / halfVectorEpsilon : (dH - h * (h * dH).sum()) / hn
                let dV = dXe * SIMD3(q[14], q[15], q[16]) + dHs
                let dL = dXd * SIMD3(q[6], q[7], q[8]) + dHs
                let dKey = dLin * (a * d + s)
                let dSky = dLin * (a * o + e)
                dc[0] += dV.x
                dc[1] += dV.y
                dc[2] += dV.z
                dc[3] += dL.x
                dc[4] += dL.y
                dc[5] += dL.z
                dc[6] += dKey.x
                dc[7] += dKey.y
                dc[8] += dKey.z
                dc[9] += dSky.x
                dc[10] += dSky.y
                dc[11] += dSky.z
            }
        }
    }
}
