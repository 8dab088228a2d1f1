import FileIO

/// Hyper-parameters of encoder training (saved with the model).
public struct EncoderTrainConfig: Settings, Sendable, Equatable {
    public var steps = 16000
    public var objectsPerBatch = 8
    /// Views of each object per batch: pairs feed the identity-consistency term.
    public var viewsPerObject = 2
    public var lr: Float = 1e-3
    var decayFraction = 0.4
    var finalLRScale: Float = 0.05
    /// Weights of the regression terms: identity code (MSE over the code table's per-dimension
    /// variance), pose (sin/cos MSE), photometric gain/bias (MSE).
    var codeWeight: Float = 1
    var poseWeight: Float = 1
    var photometricWeight: Float = 1
    /// Weight of the light regression (an encoder with a light head: a lit field's).
    var lightWeight: Float = 1
    /// Pulls the codes of two views of one object together (same normalisation as the code term).
    var consistencyWeight: Float = 0.1
    /// From this step on, the predicted code is also rendered at other views of the object and
    /// the photometric error back-propagated into the encoder.
    public var renderFromStep = 6000
    /// Render MSE (~1e-3 at 30 dB) is scaled so its gradient competes with the normalised code loss.
    var renderWeight: Float = 30
    /// The code regression's weight once rendering runs: the auto-decoder's code is one good code,
    /// the rendering loss says what matters.
    var codeWeightWhileRendering: Float = 0.1
    public var raysPerImage = 256
    var augmentation = ViewAugmentation()
    public var seed: UInt64 = 1
    /// Linear learning-rate ramp over the first steps: a run that starts from trained weights with a
    /// fresh Adam would otherwise take full-size steps on moments estimated from a handful of batches.
    /// (Optional so that model files written before it still decode.)
    public var warmupSteps: Int?
    /// Model file whose encoder started this run (a fine-tune); nil for a run from random weights.
    public var initialEncoder: String?
    /// Learning rate of the decoder while the rendering loss runs (nil or 0: decoder frozen). With
    /// it, encoder and decoder are trained together: the decoder learns to render the codes the
    /// encoder predicts from one view at the object's other views.
    public var decoderLR: Float?
    /// Empty-space skipping of the rendering loss.
    public var skipping = EmptySpaceSkipping.encoderTraining
    public init() {}

    public static let keys: [SettingKey<EncoderTrainConfig>] = [
        .init("steps", \.steps, in: 1...10_000_000, flag: "--steps"),
        .init("objectsPerBatch", \.objectsPerBatch, in: 1...256),
        .init("viewsPerObject", \.viewsPerObject, in: 1...64),
        .init("lr", \.lr, flag: "--lr") { $0.isFinite && $0 > 0 && $0 < 1 ? nil : "must be in (0, 1)" },
        .init("decayFraction", \.decayFraction, in: 0...1),
        .init("finalLRScale", \.finalLRScale, in: 0...1),
        .init("codeWeight", \.codeWeight, rule: SettingRule.nonNegative),
        .init("poseWeight", \.poseWeight, rule: SettingRule.nonNegative),
        .init("photometricWeight", \.photometricWeight, rule: SettingRule.nonNegative),
        .init("consistencyWeight", \.consistencyWeight, rule: SettingRule.nonNegative),
        .init("renderFromStep", \.renderFromStep, in: 0...Int.max, flag: "--render-from"),
        .init("renderWeight", \.renderWeight, rule: SettingRule.nonNegative),
        .init("codeWeightWhileRendering", \.codeWeightWhileRendering, rule: SettingRule.nonNegative),
        .init("raysPerImage", \.raysPerImage, in: 1...65536),
        .init("augmentation", \.augmentation),
        .init("seed", \.seed, flag: "--seed"),
        .init("warmupSteps", \.warmupSteps, flag: "--warmup") { ($0 ?? 0) >= 0 ? nil : "must be ≥ 0" },
        .init("initialEncoder", \.initialEncoder),
        .init("decoderLR", \.decoderLR, flag: "--decoder-lr") { d in
            d.map { $0.isFinite && $0 >= 0 && $0 < 1 } ?? true ? nil : "must be in [0, 1)"
        },
        .init(nested: "skipping", \.skipping),
        .init("lightWeight", \.lightWeight, rule: SettingRule.nonNegative),
    ]

    public var relationProblem: String? {
        (warmupSteps ?? 0) <= steps ? nil : "the warm-up must fit in the run (--warmup ≤ --steps)"
    }
}
