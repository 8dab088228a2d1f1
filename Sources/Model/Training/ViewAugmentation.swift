import Foundation
import NeuralCore

// Random changes to an encoder training image so real photos are not a shock. H W image size.

/// Small shifts and scales, blur, photometric gain/bias (which the encoder learns to report in its
/// view code) and sensor noise, applied to a rendered view.
struct ViewAugmentation: Codable, Sendable, Equatable {
    /// Largest shift in pixels and relative scale change (kept small: at the rig's fixed distance
    /// apparent size means real size, and the pose is read from the framing).
    var maxShift: Float = 2
    var maxScale: Float = 0.04
    var blurProbability: Double = 0.25
    /// Photometric changes hit this fraction of images; the rest stay neutral.
    var photometricProbability: Double = 0.6
    var maxGain: Float = 0.2
    var maxBias: Float = 0.06
    var maxNoise: Float = 0.02
    public init() {}

    /// No augmentation at all (evaluation inputs).
    static let none: ViewAugmentation = {
        var a = ViewAugmentation()
        a.maxShift = 0
        a.maxScale = 0
        a.blurProbability = 0
        a.photometricProbability = 0
        a.maxNoise = 0
        return a
    }()

    /// Writes the augmented image (3, H, W) in [0, 1] from pixels (H, W, 3) sRGB over white and
    /// returns the photometric change applied (image = gain ⊙ clean + bias before noise).
    func apply(
        pixels: UnsafePointer<UInt8>, width W: Int, height H: Int, into out: UnsafeMutablePointer<Float>,
        rng: inout SplitMix64
    ) -> (gain: SIMD3<Float>, bias: SIMD3<Float>) {
        let scale = 1 + maxScale * (2 * rng.nextFloat() - 1)
        let dx = maxShift * (2 * rng.nextFloat() - 1), dy = maxShift * (2 * rng.nextFloat() - 1)
        let blur = rng.nextDouble() < blurProbability
        var gain = SIMD3<Float>.one, bias = SIMD3<Float>.zero
        if rng.nextDouble() < photometricProbability {
            let global = 1 + maxGain * 0.5 * (2 * rng.nextFloat() - 1)
            for c in 0..<3 {
                gain[c] = global * (1 + maxGain * 0.5 * (2 * rng.nextFloat() - 1))
                bias[c] = maxBias * (2 * rng.nextFloat() - 1)
            }
        }
        let noise = maxNoise * rng.nextFloat()
        let cx = Float(W) / 2, cy = Float(H) / 2
        // Geometric part: bilinear resampling about the centre, white outside the frame.
        for c in 0..<3 {
            for j in 0..<H {
                for i in 0..<W {
                    let sx = (Float(i) + 0.5 - cx - dx) / scale + cx - 0.5,
                        sy = (Float(j) + 0.5 - cy - dy) / scale + cy - 0.5
                    let x0 = Int(floor(sx)), y0 = Int(floor(sy))
                    let fx = sx - Float(x0), fy = sy - Float(y0)
                    func px(_ x: Int, _ y: Int) -> Float {
                        guard x >= 0, y >= 0, x < W, y < H else { return 1 }
                        return Float(pixels[(y * W + x) * 3 + c]) / 255
                    }
                    let v =
                        (1 - fy) * ((1 - fx) * px(x0, y0) + fx * px(x0 + 1, y0)) + fy
                        * ((1 - fx) * px(x0, y0 + 1) + fx * px(x0 + 1, y0 + 1))
                    out[(c * H + j) * W + i] = v
                }
            }
        }
        if blur {  // 3x3 binomial, edges clamped
            var copy = [Float](repeating: 0, count: 3 * H * W)
            for k in 0..<(3 * H * W) { copy[k] = out[k] }
            let w: [Float] = [0.25, 0.5, 0.25]
            for c in 0..<3 {
                for j in 0..<H {
                    for i in 0..<W {
                        var acc: Float = 0
                        for a in -1...1 {
                            for b in -1...1 {
                                let y = min(H - 1, max(0, j + a)), x = min(W - 1, max(0, i + b))
                                acc += w[a + 1] * w[b + 1] * copy[(c * H + y) * W + x]
                            }
                        }
                        out[(c * H + j) * W + i] = acc
                    }
                }
            }
        }
        for c in 0..<3 {
            for k in 0..<(H * W) {
                let v = gain[c] * out[c * H * W + k] + bias[c] + noise * rng.nextNormal()
                out[c * H * W + k] = min(1, max(0, v))
            }
        }
        return (gain, bias)
    }
}
