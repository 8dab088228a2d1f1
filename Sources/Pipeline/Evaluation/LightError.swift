import Datasets
import Foundation

/// How far the light an inversion found is from the light the photo was taken under: the key and
/// sky intensities (the means of their colours, exposure included) and the angle between the
/// key directions.
public struct LightError: Codable, Sendable, Equatable {
    public var key: Double
    public var sky: Double
    /// Degrees.
    public var angle: Double
    /// The key intensity found (the reported failure: 0.11 for a photo under the canonical 0.65).
    public var foundKey: Double

    public init(found: ViewLight, truth: ViewLight) {
        key = abs(Double(found.keyIntensity) - Double(truth.keyIntensity))
        sky = abs(Double(found.skyIntensity) - Double(truth.skyIntensity))
        let cosine = Double((found.direction * truth.direction).sum())
        angle = acos(min(1, max(-1, cosine))) * 180 / .pi
        foundKey = Double(found.keyIntensity)
    }

    init(key: Double, sky: Double, angle: Double, foundKey: Double) {
        self.key = key
        self.sky = sky
        self.angle = angle
        self.foundKey = foundKey
    }

    /// The mean of each error over several photos (nil for none).
    static func mean(_ errors: [LightError]) -> LightError? {
        guard !errors.isEmpty else { return nil }
        let n = Double(errors.count)
        return LightError(
            key: errors.map(\.key).reduce(0, +) / n, sky: errors.map(\.sky).reduce(0, +) / n,
            angle: errors.map(\.angle).reduce(0, +) / n, foundKey: errors.map(\.foundKey).reduce(0, +) / n)
    }
}
