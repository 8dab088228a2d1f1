import NeuralCore

// R plane side, C channels, G = 3 R R C floats of one object's planes.

/// The mirror prior as a loss on the planes: weight · mean((P - mirror(P))²) / scale², zero
/// exactly when the field is left-right symmetric (`TriplaneMirror`). Residuals on feature maps,
/// whose channels feed all three planes, cannot be made symmetric by construction; this keeps
/// what they add symmetric instead. `scale` (the planes' RMS) makes the weight independent of
/// the field's feature scale.
public struct MirrorLoss: Sendable {
    public var weight: Float
    public var scale: Float

    public init(weight: Float, scale: Float = 1) {
        self.weight = weight
        self.scale = scale
    }

    var factor: Float { weight / max(scale * scale, Self.minScaleSquared) }
    /// Floor of scale²: planes of all zeros would otherwise divide by zero.
    static let minScaleSquared: Float = 1e-12

    /// The loss of planes (G).
    public func forward(planes: UnsafePointer<Float>, R: Int, C: Int) -> Float {
        let G = 3 * R * R * C
        return Scratch.with(G) { m in
            TriplaneMirror.forward(out: m, inp: planes, R: R, C: C)
            var s = 0.0
            for k in 0..<G {
                let d = Double(planes[k] - m[k])
                s += d * d
            }
            return factor * Float(s / Double(G))
        }
    }

    /// dPlanes (G) += d loss / d planes = factor · 4 (P - mirror(P)) / G: the difference
    /// (I - M) P is squared, and (I - M)ᵀ (I - M) = 2 (I - M) for a mirror M = Mᵀ = M⁻¹.
    public func backward(dPlanes: UnsafeMutablePointer<Float>, planes: UnsafePointer<Float>, R: Int, C: Int) {
        let G = 3 * R * R * C, f = factor * 4 / Float(G)
        Scratch.with(G) { m in
            TriplaneMirror.forward(out: m, inp: planes, R: R, C: C)
            for k in 0..<G { dPlanes[k] += f * (planes[k] - m[k]) }
        }
    }
}
