import FileIO

/// Hyper-parameters of a decoder training run (saved in checkpoints and in the model file; a
/// preset is a JSON file of the keys it changes).
public struct TrainConfig: Codable, Sendable, Equatable {
    public var steps = 20000
    public var objectsPerBatch = 8
    public var raysPerObject = 512
    public var lrDecoder: Float = 5e-3
    public var lrCodes: Float = 1e-2
    /// Weight of the L2 prior on codes: keeps the code table near N(0, I/λ) and the latent space compact.
    public var codePrior: Float = 1e-4
    public var codeInitStd: Float = 0.01
    /// Learning rates fall (cosine) over this last fraction of the run, to `finalLRScale` of their value.
    public var decayFraction: Double = 0.4
    public var finalLRScale: Float = 0.05
    public var seed: UInt64 = 1
    /// Evaluate the decoder only where each object's occupancy grid (from its current code) says
    /// there may be density, as inference does; about a third of the samples remain.
    public var skipping = EmptySpaceSkipping.training
    /// Steps of linear learning-rate ramp from 0 (for a fine-tune; see LearningRateSchedule).
    public var warmupSteps = 0
    /// Gaussian noise added to each batch's codes, as a fraction of the code table's RMS: the decoder
    /// learns to render a neighbourhood of each code, not a point, so codes between and around the
    /// training codes (where inversion and interpolation go) still decode to plausible objects.
    public var codeNoise: Float = 0
    /// Fraction of rays drawn inside the object's box of their view instead of anywhere: at
    /// 128x128 three quarters of the pixels are white background, which teaches little after the
    /// first steps (as pixelNeRF samples SRN rays in the box).
    public var boxRayFraction: Float = 0
    /// Weight of the distortion loss on ray weights (`DistortionLoss`): against floaters and fog.
    public var distortionWeight: Float = 0
    /// The model a fine-tune started from (`train --init-model`), nil for a run from scratch.
    public var initialModel: String?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case steps, objectsPerBatch, raysPerObject, lrDecoder, lrCodes, codePrior, codeInitStd, decayFraction,
            finalLRScale, seed
        case skipping, warmupSteps, initialModel, codeNoise, distortionWeight, boxRayFraction
        /// Before `skipping` grouped them, model files kept these four at the top level.
        case skipEmptySpace, skipWarmupSteps, gridRefreshSteps, probeRayFraction
    }

    /// Missing keys keep their defaults, so configs written before a field existed still load.
    public init(from coder: Decoder) throws {
        let c = try coder.container(keyedBy: CodingKeys.self)
        try c.read(&steps, .steps)
        try c.read(&objectsPerBatch, .objectsPerBatch)
        try c.read(&raysPerObject, .raysPerObject)
        try c.read(&lrDecoder, .lrDecoder)
        try c.read(&lrCodes, .lrCodes)
        try c.read(&codePrior, .codePrior)
        try c.read(&codeInitStd, .codeInitStd)
        try c.read(&decayFraction, .decayFraction)
        try c.read(&finalLRScale, .finalLRScale)
        try c.read(&seed, .seed)
        try c.read(&skipping.enabled, .skipEmptySpace)
        try c.read(&skipping.warmupSteps, .skipWarmupSteps)
        try c.read(&skipping.refreshSteps, .gridRefreshSteps)
        var probe = Double(skipping.probeRayFraction)
        try c.read(&probe, .probeRayFraction)
        skipping.probeRayFraction = Float(probe)
        try c.read(&skipping, .skipping)
        try c.read(&warmupSteps, .warmupSteps)
        try c.read(&codeNoise, .codeNoise)
        try c.read(&distortionWeight, .distortionWeight)
        try c.read(&boxRayFraction, .boxRayFraction)
        initialModel = try c.decodeIfPresent(String.self, forKey: .initialModel)
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(steps, forKey: .steps)
        try c.encode(objectsPerBatch, forKey: .objectsPerBatch)
        try c.encode(raysPerObject, forKey: .raysPerObject)
        try c.encode(lrDecoder, forKey: .lrDecoder)
        try c.encode(lrCodes, forKey: .lrCodes)
        try c.encode(codePrior, forKey: .codePrior)
        try c.encode(codeInitStd, forKey: .codeInitStd)
        try c.encode(decayFraction, forKey: .decayFraction)
        try c.encode(finalLRScale, forKey: .finalLRScale)
        try c.encode(seed, forKey: .seed)
        try c.encode(skipping, forKey: .skipping)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        // Written only when used, so first-generation model files keep their exact config text.
        if codeNoise != 0 { try c.encode(codeNoise, forKey: .codeNoise) }
        if distortionWeight != 0 { try c.encode(distortionWeight, forKey: .distortionWeight) }
        if boxRayFraction != 0 { try c.encode(boxRayFraction, forKey: .boxRayFraction) }
        try c.encodeIfPresent(initialModel, forKey: .initialModel)
    }
}
