import NeuralCore

// The parameters of a layered inversion. Layer i of the field holds n_i floats; θ_i (n_i) is its
// parameter, s_i its activation RMS at the code the layered phase started from.

/// What a layered inversion optimises: θ_i per chosen layer, and the residual the field adds,
/// r_i = s_i · S(θ_i), where S is the symmetric part (`TriplaneMirror.symmetrize`) for the
/// planes when the mirror prior is on, and the identity otherwise. Measuring θ in units of the
/// layer's activation RMS makes one learning rate and one regulariser weight serve every layer.
final class LayerResiduals {
    let field: LayeredField
    /// Indices into `field.base.latentLayers`.
    let layers: [Int]
    let theta: [Tensor]  // each (n_i)
    let scales: [Float]
    let symmetric: [Bool]
    let regulariser: LayerRegulariser
    /// The regulariser's value at the last `gradients()`.
    private(set) var regularisation: Float = 0
    /// Floor of a layer's scale: an all-zero activation would make the residual's unit zero.
    static let minScale: Float = 1e-6

    /// The named layers of `field`'s base (nil: its default choice), scaled at `code`; each starts at
    /// the residual the field already holds on it (the iterative encoder's prediction), else zero.
    init(field: LayeredField, names: [String]?, code: [Float], settings: LayerSettings) throws {
        self.field = field
        let base = field.base
        let chosen = names ?? base.defaultLatentLayers
        layers = try chosen.map { try base.layerIndex(named: $0) }
        let all = base.layerScales(code: code)
        scales = layers.map { max(all[$0], Self.minScale) }
        theta = layers.map { Tensor([base.latentLayers[$0].count]) }
        symmetric = layers.map { i in
            guard settings.mirror, case .triplane = base.latentLayers[i].layout else { return false }
            return true
        }
        regulariser = LayerRegulariser(magnitude: settings.magnitudeWeight, smoothness: settings.smoothWeight)
        for (k, (i, t)) in zip(layers, theta).enumerated() {
            // θ = r / s: a start on the planes is symmetric already (`PlaneResidualMap`), so S(θ) = θ.
            if let start = field.residuals[i] { for j in 0..<t.count { t[j] = start[j] / scales[k] } }
            field.setResidual(Tensor(t.shape), layer: i)
        }
        apply()
        // Feature-map layers feed all three planes: their share of the mirror prior is the loss.
        let featureMaps = zip(layers, symmetric).contains { i, s in
            if case .featureMap = base.latentLayers[i].layout { return true }
            return false
        }
        field.mirrorWeight = settings.mirror && featureMaps ? settings.mirrorWeight : 0
        field.planeScale = all.last ?? 1
    }

    var names: [String] { layers.map { field.base.latentLayers[$0].name } }

    /// The field's residuals from θ: r_i = s_i S(θ_i); the gradient buffers zeroed.
    func apply() {
        for (k, i) in layers.enumerated() {
            let r = field.residuals[i]!, t = theta[k], s = scales[k]
            if symmetric[k], case .triplane(let R, let C) = field.base.latentLayers[i].layout {
                TriplaneMirror.symmetrize(out: r.data, inp: t.data, R: R, C: C, scale: s)
            } else {
                for j in 0..<r.count { r[j] = s * t[j] }
            }
            field.gradients[i]!.zero()
        }
    }

    /// Each layer's d objective / d θ_i, kept from step to step: a fresh 9 MB planes buffer a step
    /// costs its page faults every time.
    private lazy var dThetas: [Tensor] = theta.map { Tensor($0.shape) }

    /// d objective / d θ_i from the field's residual gradients, plus the regulariser's.
    func gradients() -> [Tensor] {
        regularisation = 0
        return layers.enumerated().map { k, i in
            let layer = field.base.latentLayers[i], dR = field.gradients[i]!, s = scales[k]
            let dTheta = dThetas[k]
            // Both branches write every float of dθ (the mirror is its own transpose, so the
            // symmetrize of dR is its backward), before the regulariser adds its part.
            if symmetric[k], case .triplane(let R, let C) = layer.layout {
                TriplaneMirror.symmetrize(out: dTheta.data, inp: dR.data, R: R, C: C, scale: s)
            } else {
                for j in 0..<dTheta.count { dTheta[j] = s * dR[j] }
            }
            regularisation += regulariser.valueAndGradient(
                dTheta: dTheta.data, theta: theta[k].data, layout: layer.layout, count: layer.count)
            return dTheta
        }
    }

    /// Whether any layer started from a residual the field held.
    var startedFromPrediction: Bool { theta.contains { t in (0..<t.count).contains { t[$0] != 0 } } }

    /// Each θ_i's values (to keep the best state of the early stop).
    func snapshot() -> [[Float]] { theta.map(\.array) }
    func restore(_ values: [[Float]]) {
        for (t, v) in zip(theta, values) { for j in 0..<t.count { t[j] = v[j] } }
        apply()
    }

    /// RMS of each θ_i: the residual's size relative to its layer's activations.
    var relativeSizes: [Float] { theta.map { rootMeanSquare($0.data, count: $0.count) } }

    /// The residuals the field now adds, by layer name, for a latent file.
    var result: [LayerResidual] {
        apply()
        return layers.map { i in
            LayerResidual(name: field.base.latentLayers[i].name, values: field.residuals[i]!.array)
        }
    }
}

/// One layer's residual of a layered latent, as the generator adds it.
public struct LayerResidual: Sendable, Equatable {
    public var name: String
    public var values: [Float]
    public init(name: String, values: [Float]) {
        self.name = name
        self.values = values
    }
}
