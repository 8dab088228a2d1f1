import FileIO
import NeuralCore

/// Which effects the ground-truth renderer simulates beyond Lambertian shading (a scene file's
/// "image_formation"; each switch defaults to off, so scene files without it render as before).
public struct ImageFormation: Settings, Sendable, Equatable {
    /// Cast shadows from the key light, soft by the SDF's penumbra estimate: the car shades itself
    /// (wheel arches, underbody, the cabin on the bonnet).
    public var shadows = false
    /// Penumbra sharpness k of the estimate min(k h / t): larger is harder (16 ≈ a sun's disc seen
    /// through haze at car scale).
    var shadowSoftness = 16.0
    /// Ambient occlusion from the SDF: a few steps along the normal, creases and undersides darken.
    public var ambientOcclusion = false
    /// How much of the ambient light full occlusion removes, and the reach of the estimate (world units).
    var occlusionStrength = 0.85
    var occlusionReach = 0.06
    /// Specular reflection of the key light (normalised Blinn-Phong with Schlick's Fresnel) and of
    /// the white sky, with each part's reflectance and roughness (`surfaces`).
    public var specular = false
    public init() {}

    /// Everything on (the second-generation data).
    public static let full: ImageFormation = {
        var f = ImageFormation()
        f.shadows = true
        f.ambientOcclusion = true
        f.specular = true
        return f
    }()

    public static let keys: [SettingKey<ImageFormation>] = [
        .init("shadows", \.shadows),
        .init("shadowSoftness", \.shadowSoftness),
        .init("ambientOcclusion", \.ambientOcclusion),
        .init("occlusionStrength", \.occlusionStrength),
        .init("occlusionReach", \.occlusionReach),
        .init("specular", \.specular),
    ]

    var problem: String? {
        guard shadowSoftness > 0, shadowSoftness <= 256 else {
            return "image_formation.shadow_softness must lie in (0, 256]"
        }
        guard occlusionStrength >= 0, occlusionStrength <= 1 else {
            return "image_formation.occlusion_strength must lie in [0, 1]"
        }
        guard occlusionReach > 0, occlusionReach < 1 else {
            return "image_formation.occlusion_reach must lie in (0, 1)"
        }
        return nil
    }
}

/// A part's reflectance at normal incidence (F0: ~0.04 for paint and glass, ~0.6-0.9 for chrome)
/// and roughness (0 mirror ... 1 matte), each drawn from a range (a scene file's "surfaces",
/// keyed by palette name).
public struct SurfaceRange: Codable, Sendable, Equatable {
    public var specular: Span
    public var roughness: Span

    var problem: String? {
        guard specular.lo >= 0, specular.hi <= 1, roughness.lo >= 0.02, roughness.hi <= 1 else {
            return "surfaces: specular must lie in [0, 1] and roughness in [0.02, 1]"
        }
        return nil
    }
}
