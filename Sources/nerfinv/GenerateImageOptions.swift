import ArgumentParser
import Pipeline

/// How `generate` renders each view: size, anti-aliasing, extra channels, light and surroundings.
struct GenerateImageOptions: ParsableArguments {
    @Option(help: "Image size in pixels, square (default: the scene file's).")
    var resolution: Int?

    @Option(
        help:
            "Image width when it should differ from the height (--resolution): a wider or narrower frame, same vertical field of view."
    )
    var width: Int?

    @Option(help: "Rays per pixel side for anti-aliasing (default: the scene file's).")
    var supersample: Int?

    @Flag(help: "Also write 16-bit depth PNGs (camera-z x 10000, 0 = background).")
    var depth = false

    @Flag(help: "Write RGBA PNGs (alpha = coverage) instead of RGB.")
    var alpha = false

    @Option(
        help:
            "canonical (RIG.md's light) or random (per view, from the scene file's lighting ranges); default: random for --protocol train when the scene has ranges, else canonical."
    )
    var lighting: GenerationSettings.LightingMode?

    @Option(
        help:
            "Lighting ranges (JSON, the scene file's \"lighting\" keys) replacing the scene file's: an unseen-light set."
    )
    var lightingRanges: String?

    @Flag(
        help:
            "Also render every view as a photo in procedural surroundings (ground with the car's shadow, sky, buildings, walls, clutter, lit by the view's light): photo/NNNNNN.png, with the car's mask (its alpha, no shadow) in mask/NNNNNN.png."
    )
    var backgrounds = false

    func validate() throws {
        if let resolution, resolution < 8 || resolution > 4096 {
            throw ValidationError("--resolution must be in 8...4096")
        }
        if let width, width < 8 || width > 4096 { throw ValidationError("--width must be in 8...4096") }
        if let supersample, supersample < 1 || supersample > 8 {
            throw ValidationError("--supersample must be in 1...8")
        }
    }

    func apply(to settings: inout GenerationSettings) {
        settings.resolution = resolution
        settings.width = width
        settings.supersample = supersample
        settings.depth = depth
        settings.alpha = alpha
        settings.lighting = lighting
        settings.lightingRangesFile = lightingRanges
        settings.backgrounds = backgrounds
    }
}
