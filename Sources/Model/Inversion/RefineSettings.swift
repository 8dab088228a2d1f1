import FileIO

/// Optimisation settings of single-view inversion (a preset is a JSON file of the keys it changes).
public struct RefineSettings: Codable, Sendable, Equatable {
    public var steps = 300
    public var raysPerStep = 1024
    public var lrCode: Float = 1e-2
    /// Adam step on azimuth/elevation, radians (0.003 rad ≈ 0.17° per step).
    public var lrPose: Float = 3e-3
    public var lrPhotometric: Float = 5e-3
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
    public var refineLight = true
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
    public var semanticPatch = 32
    public var semanticEvery = 2
    /// Encoder stages the features come from (each halves the patch).
    public var semanticStages = 2
    /// Adam step on the light's direction and its key and sky colours.
    public var lrLight: Float = 1e-2
    /// Photos of one joint inversion share one light (taken together, the object lit the same):
    /// the identity code then has to explain every photo's shading under it.
    public var sharedLight = true
    public var seed: UInt64 = 11
    public init() {}

    enum CodingKeys: String, CodingKey {
        case steps, raysPerStep, lrCode, lrPose, lrPhotometric, anchorWeight, prior, objectRayFraction, skipping,
            refinePose
        case refinePhotometric, seed, refineLight, lrLight, grayscale, footprint
        case semanticWeight, semanticPatch, semanticEvery, semanticStages, sharedLight
    }

    /// Missing keys keep their defaults (presets name only what they change).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.read(&steps, .steps)
        try c.read(&raysPerStep, .raysPerStep)
        try c.read(&lrCode, .lrCode)
        try c.read(&lrPose, .lrPose)
        try c.read(&lrPhotometric, .lrPhotometric)
        try c.read(&anchorWeight, .anchorWeight)
        try c.read(&prior, .prior)
        try c.read(&objectRayFraction, .objectRayFraction)
        try c.read(&skipping, .skipping)
        try c.read(&refinePose, .refinePose)
        try c.read(&refinePhotometric, .refinePhotometric)
        try c.read(&seed, .seed)
        try c.read(&refineLight, .refineLight)
        try c.read(&lrLight, .lrLight)
        try c.read(&grayscale, .grayscale)
        try c.read(&footprint, .footprint)
        try c.read(&semanticWeight, .semanticWeight)
        try c.read(&semanticPatch, .semanticPatch)
        try c.read(&semanticEvery, .semanticEvery)
        try c.read(&semanticStages, .semanticStages)
        try c.read(&sharedLight, .sharedLight)
    }
}
