import FileIO
import Foundation
import NeuralCore

/// The light of one image: a directional key light of some colour and strength, a uniform ambient
/// (sky) light, and the camera's exposure. Recorded per view in `lighting.json`, so a model or a
/// test can condition on it or score by it. Colours are linear RGB.
public struct Lighting: Codable, Sendable, Equatable {
    /// Unit vector towards the key light (world frame of RIG.md), and the same as angles in degrees.
    public var keyDirection: [Double]
    public var keyAzimuth: Double
    public var keyElevation: Double
    /// Radiance scale of the key light; its colour from a black-body temperature (K).
    public var keyIntensity: Double
    public var temperature: Double
    public var keyColour: [Double]
    public var ambient: Double
    public var ambientColour: [Double]
    /// Multiplies the object's radiance before it is stored (the background stays white).
    public var exposure: Double

    /// The canonical light of RIG.md: key from normalize(0.3, 0.5, 0.8) at the rig's diffuse
    /// weight, white, with the rig's ambient, neutral exposure.
    public static func canonical(rig: RigSpec) -> Lighting {
        // Normalised in Float, as the first renderer did, so canonical images stay byte-identical.
        let l = Vec3(Float(rig.lightDirection[0]), Float(rig.lightDirection[1]), Float(rig.lightDirection[2]))
        let u = l / length(l)
        let dir = [Double(u.x), Double(u.y), Double(u.z)]
        return Lighting(
            keyDirection: dir, keyAzimuth: Self.azimuth(dir), keyElevation: asin(dir[2]) * 180 / .pi,
            keyIntensity: rig.diffuse,
            temperature: ColourTemperature.white, keyColour: [1, 1, 1], ambient: rig.ambient, ambientColour: [1, 1, 1],
            exposure: 1)
    }

    /// A light drawn from `ranges`.
    public static func random(_ ranges: LightingRanges, rng: inout SplitMix64) -> Lighting {
        let az = Double(ranges.keyAzimuth.sample(&rng)), el = Double(ranges.keyElevation.sample(&rng))
        let a = az * .pi / 180, e = el * .pi / 180
        let dir = [cos(e) * cos(a), cos(e) * sin(a), sin(e)]
        let intensity = Double(ranges.keyIntensity.sample(&rng)), kelvin = Double(ranges.temperature.sample(&rng))
        let ambient = Double(ranges.ambient.sample(&rng))
        let tint = (0..<3).map { _ in 1 + ranges.ambientTint * (2 * rng.nextDouble() - 1) }
        let exposure = Double(ranges.exposure.sample(&rng))
        let c = ColourTemperature.linearRGB(kelvin: kelvin)
        return Lighting(
            keyDirection: dir, keyAzimuth: az, keyElevation: el, keyIntensity: intensity, temperature: kelvin,
            keyColour: [Double(c.x), Double(c.y), Double(c.z)], ambient: ambient, ambientColour: tint,
            exposure: exposure)
    }

    static func azimuth(_ d: [Double]) -> Double {
        let a = atan2(d[1], d[0]) * 180 / .pi
        return a < 0 ? a + 360 : a
    }

    /// Key radiance (colour x intensity), ambient radiance and the key direction, as the renderer uses them.
    var key: Vec3 { Vec3(Float(keyColour[0]), Float(keyColour[1]), Float(keyColour[2])) * Float(keyIntensity) }
    var sky: Vec3 { Vec3(Float(ambientColour[0]), Float(ambientColour[1]), Float(ambientColour[2])) * Float(ambient) }
    var direction: Vec3 { Vec3(Float(keyDirection[0]), Float(keyDirection[1]), Float(keyDirection[2])) }
}

/// The ranges per-image lighting is drawn from (a scene file's "lighting").
public struct LightingRanges: Settings, Sendable, Equatable {
    /// Key light azimuth (degrees, all around) and elevation above the ground plane.
    public var keyAzimuth = Span(0, 360)
    public var keyElevation = Span(20, 80)
    public var keyIntensity = Span(0.5, 0.8)
    /// Black-body temperature of the key light, K: warm evening sun to overcast daylight.
    public var temperature = Span(4000, 7500)
    public var ambient = Span(0.25, 0.45)
    /// Relative per-channel jitter of the ambient colour.
    var ambientTint = 0.08
    public var exposure = Span(0.8, 1.25)
    public init() {}

    public static let keys: [SettingKey<LightingRanges>] = [
        .init("keyAzimuth", \.keyAzimuth),
        .init("keyElevation", \.keyElevation),
        .init("keyIntensity", \.keyIntensity),
        .init("temperature", \.temperature),
        .init("ambient", \.ambient),
        .init("ambientTint", \.ambientTint),
        .init("exposure", \.exposure),
    ]

    /// The first inconsistency, or nil.
    var problem: String? {
        for (name, s) in [("key_intensity", keyIntensity), ("ambient", ambient), ("exposure", exposure)]
        where s.lo < 0 || s.hi < s.lo {
            return "lighting.\(name) must be a non-negative range"
        }
        guard temperature.lo >= 1667, temperature.hi <= 25000, temperature.lo <= temperature.hi else {
            return "lighting.temperature must lie in 1667...25000 K"
        }
        guard keyElevation.lo >= -90, keyElevation.hi <= 90 else {
            return "lighting.key_elevation must lie in -90...90"
        }
        guard ambientTint >= 0, ambientTint < 1 else { return "lighting.ambient_tint must lie in [0, 1)" }
        return nil
    }
}

/// The colour of black-body light as linear sRGB at unit luminance, from the Planckian locus
/// (Kang et al. 2002 cubic fit of its CIE 1931 chromaticity, 1667-25000 K).
public enum ColourTemperature {
    /// The temperature whose light is (very nearly) sRGB white, D65's correlated temperature.
    public static let white = 6504.0

    public static func chromaticity(kelvin T: Double) -> (x: Double, y: Double) {
        let t = min(max(T, 1667), 25000)
        let x =
            t <= 4000
            ? -0.2661239e9 / (t * t * t) - 0.2343589e6 / (t * t) + 0.8776956e3 / t + 0.179910
            : -3.0258469e9 / (t * t * t) + 2.1070379e6 / (t * t) + 0.2226347e3 / t + 0.240390
        let y: Double
        if t <= 2222 {
            y = -1.1063814 * x * x * x - 1.34811020 * x * x + 2.18555832 * x - 0.20219683
        } else if t <= 4000 {
            y = -0.9549476 * x * x * x - 1.37418593 * x * x + 2.09137015 * x - 0.16748867
        } else {
            y = 3.0817580 * x * x * x - 5.87338670 * x * x + 3.75112997 * x - 0.37001483
        }
        return (x, y)
    }

    /// Linear sRGB of light at `kelvin`, luminance 1, scaled so that D65 white comes out (1, 1, 1)
    /// and negative (out-of-gamut) channels clamped to 0.
    public static func linearRGB(kelvin: Double) -> Vec3 {
        func rgb(_ T: Double) -> (Double, Double, Double) {
            let (x, y) = chromaticity(kelvin: T)
            let X = x / y, Y = 1.0, Z = (1 - x - y) / y
            return (
                3.2406 * X - 1.5372 * Y - 0.4986 * Z, -0.9689 * X + 1.8758 * Y + 0.0415 * Z,
                0.0557 * X - 0.2040 * Y + 1.0570 * Z
            )
        }
        let c = rgb(kelvin), w = rgb(white)
        return Vec3(Float(max(0, c.0 / w.0)), Float(max(0, c.1 / w.1)), Float(max(0, c.2 / w.2)))
    }
}
