import Foundation

/// Learning-rate multiplier of the training runs: 1, then a cosine fall to `finalScale` over the
/// last `decayFraction` of `steps` (the decay is where auto-decoders gain their last dBs).
public enum LearningRateSchedule {
    public static func scale(step s: Int, steps: Int, decayFraction: Double, finalScale: Float) -> Float {
        let start = Double(steps) * (1 - decayFraction)
        guard Double(s) > start, decayFraction > 0 else { return 1 }
        let x = min(1, (Double(s) - start) / (Double(steps) - start))
        return finalScale + (1 - finalScale) * Float(0.5 * (1 + cos(Double.pi * x)))
    }
}
