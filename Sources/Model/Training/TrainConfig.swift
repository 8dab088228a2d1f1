import FileIO

/// Hyper-parameters of a decoder training run (saved in checkpoints and in the model file; a
/// preset is a JSON file of the keys it changes).
public struct TrainConfig: Settings, Sendable, Equatable {
    public var steps = 20000
    public var objectsPerBatch = 8
    public var raysPerObject = 512
    public var lrDecoder: Float = 5e-3
    public var lrCodes: Float = 1e-2
    /// Weight of the L2 prior on codes: keeps the code table near N(0, I/λ) and the latent space compact.
    var codePrior: Float = 1e-4
    var codeInitStd: Float = 0.01
    /// Learning rates fall (cosine) over this last fraction of the run, to `finalLRScale` of their value.
    var decayFraction: Double = 0.4
    var finalLRScale: Float = 0.05
    public var seed: UInt64 = 1
    /// Evaluate the decoder only where each object's occupancy grid (from its current code) says
    /// there may be density, as inference does; about a third of the samples remain.
    public var skipping = EmptySpaceSkipping.training
    /// Steps of linear learning-rate ramp from 0 (for a fine-tune; see LearningRateSchedule).
    public var warmupSteps = 0
    /// Gaussian noise added to each batch's codes, as a fraction of the code table's RMS: the decoder
    /// learns to render a neighbourhood of each code, not a point, so codes between and around the
    /// training codes (where inversion and interpolation go) still decode to plausible objects.
    var codeNoise: Float = 0
    /// Fraction of rays drawn inside the object's box of their view instead of anywhere: at
    /// 128x128 three quarters of the pixels are white background, which teaches little after the
    /// first steps (as pixelNeRF samples SRN rays in the box).
    var boxRayFraction: Float = 0
    /// Weight of the distortion loss on ray weights (`DistortionLoss`): against floaters and fog.
    var distortionWeight: Float = 0
    /// The model a fine-tune started from (`train --init-model`), nil for a run from scratch.
    public var initialModel: String?
    public init() {}

    public static let keys: [SettingKey<TrainConfig>] = [
        .init("steps", \.steps, in: 1...10_000_000, flag: "--steps"),
        .init("objectsPerBatch", \.objectsPerBatch, in: 1...256, flag: "--objects-per-batch"),
        .init("raysPerObject", \.raysPerObject, in: 1...65536, flag: "--rays-per-object"),
        .init("lrDecoder", \.lrDecoder, flag: "--lr-decoder", rule: unitRate),
        .init("lrCodes", \.lrCodes, flag: "--lr-codes", rule: unitRate),
        .init("codePrior", \.codePrior, rule: SettingRule.nonNegative),
        .init("codeInitStd", \.codeInitStd, rule: SettingRule.nonNegative),
        .init("decayFraction", \.decayFraction, in: 0...1),
        .init("finalLRScale", \.finalLRScale, in: 0...1),
        .init("seed", \.seed, flag: "--seed"),
        // Before `skipping` grouped them, model files kept these four at the top level.
        .legacy("skipEmptySpace", \.skipping.enabled),
        .legacy("skipWarmupSteps", \.skipping.warmupSteps),
        .legacy("gridRefreshSteps", \.skipping.refreshSteps),
        .init(legacy: "probeRayFraction") { c, root in
            if let p = try c.decodeIfPresent(Double.self, forKey: SettingCodingKey("probeRayFraction")) {
                root.skipping.probeRayFraction = Float(p)
            }
        },
        .init(nested: "skipping", \.skipping),
        .init("warmupSteps", \.warmupSteps, in: 0...10_000_000, flag: "--warmup"),
        // Written only when used, so first-generation model files keep their exact config text.
        .init("codeNoise", \.codeNoise, in: 0...10, omitWhen: 0),
        .init("distortionWeight", \.distortionWeight, in: 0...100, omitWhen: 0),
        .init("boxRayFraction", \.boxRayFraction, in: 0...1, omitWhen: 0),
        .init("initialModel", \.initialModel),
    ]

    /// A learning rate in (0, 1].
    static func unitRate(_ lr: Float) -> String? { lr > 0 && lr <= 1 ? nil : "must be in (0, 1]" }

    public var relationProblem: String? {
        warmupSteps <= steps ? nil : "the warm-up must fit in the run (--warmup ≤ --steps)"
    }
}
