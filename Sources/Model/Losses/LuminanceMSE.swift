import NeuralCore

// R rays.

/// weight · mean((Y(rgb) - Y(target))²) over the R rays, Y the Rec. 709 luminance of the sRGB
/// values: the loss of a grayscale photo, which says nothing about colour, so the colour comes from
/// the prior alone. (A gray target has equal channels, so Y(target) is its value.)
public struct LuminanceMSE: LossTerm {
    public let name = "luminance"
    public var weight: Float
    /// Rec. 709 luma weights.
    static let luma: SIMD3<Float> = SIMD3(0.2126, 0.7152, 0.0722)

    public init(weight: Float = 1) { self.weight = weight }

    public func forward(_ x: LossInputs) -> Float {
        var acc: Float = 0
        for r in 0..<x.R {
            let e = luminance(x.rgb + 3 * r) - luminance(x.targets + 3 * r)
            acc += e * e
        }
        return weight * acc / Float(max(1, x.R))
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        let scale = 2 * weight / Float(max(1, x.R))
        for r in 0..<x.R {
            let e = luminance(x.rgb + 3 * r) - luminance(x.targets + 3 * r)
            for c in 0..<3 { g.dRGB[3 * r + c] += scale * e * Self.luma[c] }
        }
    }

    @inline(__always) func luminance(_ p: UnsafePointer<Float>) -> Float {
        Self.luma.x * p[0] + Self.luma.y * p[1] + Self.luma.z * p[2]
    }
}
