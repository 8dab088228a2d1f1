import ArgumentParser
import Pipeline

/// The light a lit model renders a latent under (models whose colour ignores light ignore it).
struct LightOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        /// RIG.md's key light and white sky: the object itself, free of the photo's light.
        case canonical
        /// The light `invert` found in the photo (the latent's `light`).
        case photo
    }

    @Option(
        help: ArgumentHelp(
            "Light of a lit (second-generation) model: the rig's canonical light, or the photo's as invert found it.",
            valueName: "canonical|photo"))
    var light: Choice = .canonical

    /// The light to render `latent` under; `photo` needs a latent that has one.
    func resolve(_ latent: LatentFile, path: String) throws -> ViewLight {
        switch light {
        case .canonical: return .canonical
        case .photo:
            guard let packed = latent.light else {
                throw ValidationError("\(path) has no photo light (it was not made by invert with a lit model)")
            }
            return ViewLight(packed: packed)
        }
    }
}
