import Datasets
import FileIO
import Foundation

// K photos, L = ViewLight.count floats of a packed light: direction (3), key (3), sky (3).

/// The prior of inversion's light estimate: what lights the training views had. Without it the
/// photo's shading can be explained by a dim key light and a brighter paint (a canonical-light
/// red car came back with key 0.11 and rendered orange under the real light), since the pixels
/// alone do not separate light from albedo. Per photo:
///
///     weight · [ ((k̄ - μ_k) / σ_k)² + ((s̄ - μ_s) / σ_s)² + ((sin e_min - d_z)₊ / σ_z)² + ((d_z - sin e_max)₊ / σ_z)² ]
///
/// with k̄ and s̄ the key and sky intensities (the means of their grey colours), d_z the height of
/// the direction towards the key. The centre is the training distribution's mean or, with
/// `anchored`, the light inversion started from (the encoder's estimate, trained on recorded lights).
public struct LightPrior: Settings, Sendable, Equatable {
    /// 0: the light moves freely. At 1e-2, on the second generation (`eval --modes refine`), the
    /// key light found for canonical-light photos came within 0.03 of the truth, against 0.12
    /// (in-domain) and 0.20 (Blender) without the prior, and novel views gained 0.17 / 0.15 dB; on
    /// the low, warm lights of the unseen-light set it cost 0.03 dB (docs/inversion.md).
    public var weight: Float = 1e-2
    /// Intensities pulled towards the start light instead of the training mean.
    public var anchored = false
    /// The training lights' key intensity (the mean of the key colour, exposure included):
    /// `scenes/cars.json` draws key_intensity in [0.5, 0.85] and exposure in [0.8, 1.25], so the
    /// product has mean 0.68 and spread 0.13.
    public var keyMean: Float = 0.68
    public var keySigma: Float = 0.13
    /// The sky's: ambient in [0.2, 0.45] times the exposure, mean 0.33, spread 0.085.
    public var skyMean: Float = 0.33
    public var skySigma: Float = 0.085
    /// The training key lights' elevations, degrees: inside them the direction moves freely.
    public var minElevation: Float = 20
    public var maxElevation: Float = 80
    /// Spread of the direction's height outside them (0.1: about 6° of elevation near 20°).
    public var heightSigma: Float = 0.1

    public init() {}

    public static let keys: [SettingKey<LightPrior>] = [
        .init("weight", \.weight, flag: "--light-prior", rule: SettingRule.nonNegative),
        .init("anchored", \.anchored),
        .init("keyMean", \.keyMean, rule: SettingRule.nonNegative),
        .init("keySigma", \.keySigma, rule: SettingRule.positive),
        .init("skyMean", \.skyMean, rule: SettingRule.nonNegative),
        .init("skySigma", \.skySigma, rule: SettingRule.positive),
        .init("minElevation", \.minElevation, in: -90...90),
        .init("maxElevation", \.maxElevation, in: -90...90),
        .init("heightSigma", \.heightSigma, rule: SettingRule.positive),
    ]

    public var relationProblem: String? {
        minElevation <= maxElevation ? nil : "minElevation must not exceed maxElevation"
    }

    /// The (key, sky) intensities a photo's light is pulled to: the training means, or the start's.
    func centre(start: ViewLight) -> (key: Float, sky: Float) {
        anchored ? (start.keyIntensity, start.skyIntensity) : (keyMean, skyMean)
    }

    /// The deviations of one packed light (L) that the prior squares, each already divided by its spread.
    func residuals(_ l: UnsafePointer<Float>, start: ViewLight) -> [Float] {
        let c = centre(start: start)
        let key = (l[3] + l[4] + l[5]) / 3, sky = (l[6] + l[7] + l[8]) / 3
        let low = sin(minElevation * .pi / 180), high = sin(maxElevation * .pi / 180)
        return [
            (key - c.key) / keySigma, (sky - c.sky) / skySigma, max(0, low - l[2]) / heightSigma,
            max(0, l[2] - high) / heightSigma,
        ]
    }

    /// The prior's value over K packed lights.
    public func forward(lights: UnsafePointer<Float>, starts: [ViewLight]) -> Float {  // lights (K, L)
        guard weight > 0 else { return 0 }
        var acc: Float = 0
        for (k, s) in starts.enumerated() {
            for r in residuals(lights + k * ViewLight.count, start: s) { acc += r * r }
        }
        return weight * acc
    }

    /// Adds the prior's gradient w.r.t. the packed lights into `dLights`.
    public func backward(dLights: UnsafeMutablePointer<Float>, lights: UnsafePointer<Float>, starts: [ViewLight]) {
        guard weight > 0 else { return }
        let L = ViewLight.count
        for (k, s) in starts.enumerated() {
            let l = lights + k * L, d = dLights + k * L
            let r = residuals(l, start: s)
            // d/dchannel of (mean - c)/σ is 1 / (3σ) for each of the three channels.
            for c in 3..<6 { d[c] += weight * 2 * r[0] / (3 * keySigma) }
            for c in 6..<9 { d[c] += weight * 2 * r[1] / (3 * skySigma) }
            d[2] += weight * 2 * (-r[2] + r[3]) / heightSigma
        }
    }
}
