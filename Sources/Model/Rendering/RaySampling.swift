import Foundation
import NeuralCore

// Points along rays inside the field's cube. R rays, S samples per ray.

public enum RaySampling {
    /// Rays parallel to a slab within this of zero are treated as parallel (no division by ~0).
    static let parallelEpsilon: Float = 1e-9

    /// Slab intersection of o + t d with [-box, box]^3: (near, far), far <= near on a miss.
    @inline(__always)
    public static func clip(origin o: SIMD3<Float>, direction d: SIMD3<Float>, box: Float) -> (Float, Float) {
        var near: Float = 0, far = Float.infinity
        for k in 0..<3 {
            if abs(d[k]) < parallelEpsilon {
                if abs(o[k]) > box { return (0, 0) }
                continue
            }
            let inv = 1 / d[k]
            var t0 = (-box - o[k]) * inv, t1 = (box - o[k]) * inv
            if t0 > t1 { swap(&t0, &t1) }
            near = max(near, t0)
            far = min(far, t1)
        }
        return far > near ? (near, far) : (0, 0)
    }

    /// t (R, S) sample depths, delta (R, S) their spans and points (R, S, 3). Stratified: sample i
    /// sits at fraction (i + jitter) / S of [near, far]; jitter (R, S) in [0, 1), or 0.5 when nil.
    /// Rays missing the cube get delta = 0 everywhere, so they composite to the background.
    public static func samples(
        t: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>, points: UnsafeMutablePointer<Float>,
        origins: UnsafePointer<Float>, directions: UnsafePointer<Float>, jitter: UnsafePointer<Float>?,
        box: Float, R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 512) { rays in
            for r in rays {
                let o = SIMD3(origins[3 * r], origins[3 * r + 1], origins[3 * r + 2])
                let d = SIMD3(directions[3 * r], directions[3 * r + 1], directions[3 * r + 2])
                let (near, far) = clip(origin: o, direction: d, box: box)
                let step = (far - near) / Float(S)
                for i in 0..<S {
                    let k = r * S + i
                    t[k] = near + (Float(i) + (jitter?[k] ?? 0.5)) * step
                }
                for i in 0..<S {
                    let k = r * S + i
                    delta[k] = (i + 1 < S ? t[k + 1] : far) - t[k]
                    let p = o + t[k] * d
                    points[3 * k] = p.x
                    points[3 * k + 1] = p.y
                    points[3 * k + 2] = p.z
                }
            }
        }
    }

    /// Pose gradients: with sample depths held fixed, point (r, i) = o_r + t_ri d_r, so
    /// dOrigin (R, 3) += Σ_i dPoints and dDirection (R, 3) += Σ_i t_ri dPoints.
    public static func backward(
        dOrigins: UnsafeMutablePointer<Float>, dDirections: UnsafeMutablePointer<Float>,
        dPoints: UnsafePointer<Float>, t: UnsafePointer<Float>, R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 512) { rays in
            for r in rays {
                for i in 0..<S {
                    let k = r * S + i
                    for c in 0..<3 {
                        dOrigins[3 * r + c] += dPoints[3 * k + c]
                        dDirections[3 * r + c] += t[k] * dPoints[3 * k + c]
                    }
                }
            }
        }
    }
}
