import Foundation

/// Learning-rate multiplier of the training runs: a linear ramp over the first `warmup` steps, 1,
/// then a cosine fall to `finalScale` over the last `decayFraction` of `steps` (the decay is where
/// auto-decoders gain their last dBs). A run that starts from trained weights wants the ramp: fresh
/// Adam moments make the first updates as large as the learning rate whatever the gradient.
public enum LearningRateSchedule {
    public static func scale(step s: Int, steps: Int, decayFraction: Double, finalScale: Float, warmup: Int = 0)
        -> Float
    {
        let ramp = warmup > 0 ? min(1, Float(s) / Float(warmup)) : 1
        let start = Double(steps) * (1 - decayFraction)
        guard Double(s) > start, decayFraction > 0 else { return ramp }
        let x = min(1, (Double(s) - start) / (Double(steps) - start))
        return ramp * (finalScale + (1 - finalScale) * Float(0.5 * (1 + cos(Double.pi * x))))
    }
}
