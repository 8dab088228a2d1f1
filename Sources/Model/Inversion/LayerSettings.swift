import FileIO

/// Settings of the layered latent: after the code, inversion continues in the generator's own
/// layers (`LayeredGenerator`), a residual per layer in units of that layer's activation RMS, with
/// the mirror prior and an early stop on held-out photo pixels. Nested in `RefineSettings` as
/// `layers`.
public struct LayerSettings: Settings, Sendable, Equatable {
    /// Steps of the layered phase after the code's (0: the code only; a lit-triplane model's
    /// defaults set 100, `LitTriplaneConfig.refineDefaults`).
    public var steps = 0
    /// The layers it adds residuals to, by name (`LatentLayer.name`); nil: the field kind's choice
    /// (`LayeredGenerator.defaultLatentLayers`).
    public var names: [String]? = nil
    /// Adam rate of the residuals, in units of each layer's activation RMS.
    public var lr: Float = 1e-2
    /// Rate of the pose, photometric code and light (and the code, with `refineCode`) during the
    /// layered phase, relative to their own: they keep adjusting to the residuals, more gently
    /// than while they led.
    public var otherRateScale: Float = 0.3
    /// Whether the code moves too during the layered phase (at `otherRateScale`). Held (the
    /// default), the planes' residual takes up what the code could not, and a step need not run
    /// the generator forward or backward (`LayeredField.reusesBasePlanes`): half the time, and on
    /// the third generation as good (Blender 27.46 dB against 27.44, 20 cars; in-domain 30.66
    /// against 30.59, first 10 cars).
    public var refineCode = false
    /// Regularisers of the residuals (`LayerRegulariser`): size against the layer's activations,
    /// and roughness between neighbouring texels. At ten times the first choice (1e-2, 0.1), on the
    /// third generation: Blender single view 27.44 dB against 27.02 (code only 26.47, 20 cars),
    /// in-domain 30.59 against 30.40 (code only 30.67, first 10 cars).
    public var magnitudeWeight: Float = 1e-1
    public var smoothWeight: Float = 1
    /// The mirror prior: a residual on the planes is left-right symmetric by construction, and a
    /// residual on a feature map is kept symmetric by the mirror loss on the planes. Off for a
    /// photo of an object that is not symmetric (`--no-mirror`).
    public var mirror = true
    /// Weight of the mirror loss (`MirrorLoss`, relative to the planes' RMS²).
    public var mirrorWeight: Float = 1
    /// Weight of the view prior (`ViewPrior`): renders of the code-only result from rig views more
    /// than `viewPriorMargin` degrees of azimuth from every photo and its mirror image are soft
    /// targets of the layered field there; 0: off.
    public var viewPriorWeight: Float = 0
    public var viewPriorMargin: Double = 45
    var viewPriorRays = 256
    /// Fraction of each photo's object pixels held out; the phase stops when their error no longer
    /// falls, and keeps the state that did best on them.
    public var validationFraction: Float = 0.1
    /// Least gain (dB) on the held-out pixels for the residuals to be kept; under it the phase
    /// returns the code-only result (0: any gain is kept; a lit-triplane model's defaults set 2).
    public var minimumGain: Float = 0
    /// Whether a residual the iterative encoder predicted (`--residual-side`) is there while the
    /// code refines and starts the layers (false, the default: both start without it). Off because
    /// it lost: with it the default scored 26.43 dB on the 20 vans against 27.41 without (the
    /// prediction was made for the iterations' code, not the refined one, and stays when the layered
    /// phase gains less than `minimumGain`).
    public var startFromPrediction = false
    /// Steps between two looks at the held-out pixels, and looks without progress before stopping.
    public var checkEvery = 20
    public var patience = 2

    public init() {}

    public static let keys: [SettingKey<LayerSettings>] = [
        .init("steps", \.steps, in: 0...100_000, flag: "--layer-steps"),
        .init("names", \.names, flag: "--layers") { names in
            guard let names else { return nil }
            return !names.isEmpty && Set(names).count == names.count ? nil : "must name each layer once"
        },
        .init("lr", \.lr, flag: "--layer-lr") { $0.isFinite && $0 > 0 && $0 < 1 ? nil : "must be in (0, 1)" },
        .init("otherRateScale", \.otherRateScale, in: 0...1),
        .init("refineCode", \.refineCode, flag: "--layer-code"),
        .init("magnitudeWeight", \.magnitudeWeight, flag: "--layer-magnitude", rule: SettingRule.nonNegative),
        .init("smoothWeight", \.smoothWeight, flag: "--layer-smoothness", rule: SettingRule.nonNegative),
        .init("mirror", \.mirror, flag: "--mirror"),
        .init("mirrorWeight", \.mirrorWeight, flag: "--mirror-weight", rule: SettingRule.nonNegative),
        .init("viewPriorWeight", \.viewPriorWeight, flag: "--view-prior", rule: SettingRule.nonNegative),
        .init("viewPriorMargin", \.viewPriorMargin, in: 0...180),
        .init("viewPriorRays", \.viewPriorRays, in: 16...65536),
        .init("validationFraction", \.validationFraction) { $0 > 0 && $0 < 0.5 ? nil : "must be in (0, 0.5)" },
        .init("minimumGain", \.minimumGain, flag: "--layer-min-gain", rule: SettingRule.nonNegative),
        // Written only when on, so earlier presets and model files keep their text.
        .init("startFromPrediction", \.startFromPrediction, omitWhen: false),
        .init("checkEvery", \.checkEvery, in: 1...100_000),
        .init("patience", \.patience, in: 1...100_000),
    ]
}
