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
    /// Iterations unrolled per batch by the iterative encoder's training (nil: a one-shot encoder).
    /// Each iteration's update is trained against the render of the estimate before it.
    public var iterations: Int?
    /// Coarse side of the iterative encoder's layered-residual head (nil or 0: no head;
    /// `PlaneResidualMap`), and the weight of its size term, w mean(θ²).
    public var residualSide: Int?
    public var residualWeight: Float?
    /// The residual head's learning rate over the rest's: a new head beside a network that is
    /// fine-tuned at 1e-4 barely moved (its outputs' RMS under 0.01 of the planes' after 140 steps).
    public var residualLRScale: Float?
    public init() {}

    /// The iterative encoder's preset: its small network (`IterativeEncoder.network`) from random
    /// weights and zero heads, with the rendering loss from the first step, 3 iterations of 8
    /// cars. The rate is small: the heads read 350 features of order one, and at 1e-3 (the
    /// one-shot encoder's) Adam's steps moved a code by more than its spread, so that every
    /// iteration made the estimate worse (3e-4: still 0.3 dB worse after 400 steps). The pose
    /// weighs 10x
    /// the one-shot's (an update corrects degrees, whose sin/cos error is a few hundredths), and
    /// the photos shift and scale half as much (a shift of 2 pixels looks like a degree of azimuth
    /// to an encoder that compares the photo with a render).
    public static var iterative: EncoderTrainConfig {
        var c = EncoderTrainConfig()
        c.iterations = 3
        c.steps = 3000
        c.objectsPerBatch = 8
        c.viewsPerObject = 1
        c.lr = 1e-4
        c.warmupSteps = 100
        c.renderFromStep = 0
        c.codeWeightWhileRendering = 0.1
        c.poseWeight = 10
        c.augmentation.maxShift = 1
        c.augmentation.maxScale = 0.02
        c.residualWeight = 1e-2
        c.residualLRScale = 10
        return c
    }

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
        .init("iterations", \.iterations, flag: "--iterations") { i in
            (i ?? 1) >= 1 && (i ?? 1) <= 16 ? nil : "must be in 1...16"
        },
        .init("residualSide", \.residualSide, flag: "--residual-side") { r in
            (0...32).contains(r ?? 0) ? nil : "must be in 0...32 (0: no residual head)"
        },
        .init("residualWeight", \.residualWeight, flag: "--residual-weight") { w in
            w.map { $0.isFinite && $0 >= 0 } ?? true ? nil : "must be ≥ 0"
        },
        .init("residualLRScale", \.residualLRScale) { s in
            s.map { $0.isFinite && $0 > 0 && $0 <= 1000 } ?? true ? nil : "must be in (0, 1000]"
        },
    ]

    public var relationProblem: String? {
        (warmupSteps ?? 0) <= steps ? nil : "the warm-up must fit in the run (--warmup ≤ --steps)"
    }
}
