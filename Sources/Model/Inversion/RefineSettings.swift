import FileIO

/// Optimisation settings of single-view inversion (a preset is a JSON file of the keys it changes).
public struct RefineSettings: Settings, Sendable, Equatable {
    public var steps = 300
    public var raysPerStep = 1024
    public var lrCode: Float = 1e-2
    /// Adam step on azimuth/elevation, radians (0.003 rad ≈ 0.17° per step).
    var lrPose: Float = 3e-3
    var lrPhotometric: Float = 5e-3
    /// In-domain term: λ ||z - z_start||² / σ² with σ² the code table's per-dimension variance, so
    /// the code stays near the encoder's (or mean) code and inside the region the decoder knows.
    public var anchorWeight: Float = 2e-6
    /// The latent prior of training (λ ||z||²).
    public var prior: Float = 1e-4
    /// Fraction of each step's rays drawn from the object and its outline (the rest uniformly):
    /// the silhouette band is where most of the error sits, the plain background teaches little.
    public var objectRayFraction: Float = 0.5
    /// Evaluate the decoder only inside the current code's occupancy grid (plus probe rays).
    public var skipping = EmptySpaceSkipping.inversion
    public var refinePose = true
    public var refinePhotometric = true
    /// Estimate the photo's light (a lit field's key direction, key and sky intensities), starting
    /// from the canonical light: a code fitted under the wrong light bakes that light into the object.
    var refineLight = true
    /// Compare luminance only (a grayscale photo): colour comes from the prior, and the per-channel
    /// photometric code, which would only fit noise, stays neutral.
    public var grayscale = false
    /// Rays averaged into one photo pixel (rounded down to a power of two): a photo smaller than the
    /// model's views is compared with the render's average over each pixel's footprint, not with
    /// one sample at its centre (set by `invert` from the sizes; 1: one ray a pixel).
    public var footprint = 1
    /// Weight of the semantic term (`FeatureLoss`: the encoder's first convolutional features of a
    /// rendered patch against the photo's); 0: pixels only. Every `semanticEvery`-th step draws
    /// a `semanticPatch`-pixel square patch per photo instead of scattered pixels.
    public var semanticWeight: Float = 0
    var semanticPatch = 32
    var semanticEvery = 2
    /// Encoder stages the features come from (each halves the patch).
    var semanticStages = 2
    /// Adam step on the light's direction and its key and sky colours.
    var lrLight: Float = 1e-2
    /// The prior on the light estimate (the training lights' intensities and elevations).
    public var lightPrior = LightPrior()
    /// The layered latent's phase after the code's (`LayerSettings`; 0 steps: the code only).
    public var layers = LayerSettings()
    /// Updates of the iterative encoder between the one-shot encoder and the first step (0: none;
    /// a model without an iterative encoder runs none whatever this says).
    public var encoderIterations = 0
    /// Photos of one joint inversion share one light (taken together, the object lit the same):
    /// the identity code then has to explain every photo's shading under it.
    var sharedLight = true
    public var seed: UInt64 = 11
    public init() {}

    /// The keys in the order model files and presets have always written them.
    public static let keys: [SettingKey<RefineSettings>] = [
        .init("steps", \.steps, in: 1...100_000, flag: "--steps"),
        .init("raysPerStep", \.raysPerStep, in: 16...65536, flag: "--refine-rays"),
        .init("lrCode", \.lrCode, flag: "--refine-lr", rule: SettingRule.positive),
        .init("lrPose", \.lrPose, rule: SettingRule.nonNegative),
        .init("lrPhotometric", \.lrPhotometric, rule: SettingRule.nonNegative),
        .init("anchorWeight", \.anchorWeight, flag: "--anchor-weight", rule: SettingRule.nonNegative),
        .init("prior", \.prior, flag: "--prior", rule: SettingRule.nonNegative),
        .init("objectRayFraction", \.objectRayFraction, in: 0...1, flag: "--object-rays"),
        .init(nested: "skipping", \.skipping),
        .init("refinePose", \.refinePose),
        .init("refinePhotometric", \.refinePhotometric, flag: "--photometric"),
        .init("seed", \.seed, flag: "--seed"),
        .init("refineLight", \.refineLight),
        .init("lrLight", \.lrLight, rule: SettingRule.nonNegative),
        .init("grayscale", \.grayscale),
        .init("footprint", \.footprint, in: 1...64),
        .init("semanticWeight", \.semanticWeight, flag: "--semantic-weight", rule: SettingRule.nonNegative),
        .init("semanticPatch", \.semanticPatch, in: 4...256),
        .init("semanticEvery", \.semanticEvery, in: 1...1000),
        .init("semanticStages", \.semanticStages, in: 1...8),
        .init("sharedLight", \.sharedLight),
        .init(nested: "lightPrior", \.lightPrior),
        .init(nested: "layers", \.layers),
        // Written only when iterations run, so older presets and model files keep their text.
        .init("encoderIterations", \.encoderIterations, in: 0...16, flag: "--iterations", omitWhen: 0),
    ]
}

extension RefineSettings {
    /// What a model with an iterative encoder runs by default (`NeRFModel.refineDefaults`): its
    /// iterations before the field's steps. Fewer steps would lose more than the iterations gain
    /// (docs/inversion.md, the iterative encoder's table: 3 iterations + 50 steps score 1 dB under
    /// the 150-step default on the same cars), so the steps stay.
    public var withIterativeEncoder: RefineSettings {
        var s = self
        s.encoderIterations = Self.defaultIterations
        return s
    }
    /// Updates of the iterative encoder a default inversion runs.
    public static let defaultIterations = 3
}
