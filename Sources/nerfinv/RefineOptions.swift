import ArgumentParser
import FileIO
import Pipeline

/// The refinement settings `invert` and `eval` share: a preset, then the flags given (each
/// command has its own step count flag).
struct RefineOptions: ParsableArguments {
    @Option(
        name: .customLong("refine-config"),
        help: "Refinement preset (JSON, e.g. configs/refine.json); the flags below override it.")
    var config: String?

    @Option(help: "Rays per refinement step (default 1024).")
    var refineRays: Int?

    @Option(help: "Learning rate of the identity code during refinement (default 1e-2).")
    var refineLR: Float?

    @Option(
        help:
            "In-domain weight: pull of the identity code towards its start, relative to the code table's spread (default 2e-6)."
    )
    var anchorWeight: Float?

    @Option(help: "Weight of the latent prior λ||z||² during refinement (default 1e-4, as training).")
    var prior: Float?

    @Option(help: "Fraction of refinement rays drawn from the object and its outline (default 0.5).")
    var objectRays: Float?

    @Flag(inversion: .prefixedNo, help: "Refine the photometric gain/bias of the view code.")
    var photometric: Bool?

    @Flag(inversion: .prefixedNo, help: "Skip empty space during refinement (the occupancy grid of the moving code).")
    var skipping: Bool?

    @Option(
        help:
            "Weight of the semantic term: the encoder's first convolutional features of rendered patches against the photo's (default 0: pixels only)."
    )
    var semanticWeight: Float?

    @Option(
        help:
            "Weight of the light prior: the light estimate's pull towards the training lights' intensities and elevations (0: free)."
    )
    var lightPrior: Float?

    @Option(
        help:
            "Updates of the iterative encoder before the first step (default: 3 where the model has one; 0: none)."
    )
    var iterations: Int?

    @OptionGroup var layers: LayerOptions
    @OptionGroup var tune: TuneOptions

    /// The decoder-tuning settings, or nil without --tune-decoder (or a tuning preset).
    func tuneSettings() throws -> TuneSettings? { try tune.settings() }

    /// The preset (its missing keys, or all without one, from `base`: the model's defaults) with the
    /// given flags applied.
    func settings(base: RefineSettings) throws -> RefineSettings {
        var s = try config.map { try Preset.load(RefineSettings.self, from: $0, base: base) } ?? base
        if let refineRays { s.raysPerStep = refineRays }
        if let refineLR { s.lrCode = refineLR }
        if let anchorWeight { s.anchorWeight = anchorWeight }
        if let prior { s.prior = prior }
        if let objectRays { s.objectRayFraction = objectRays }
        if let photometric { s.refinePhotometric = photometric }
        if let skipping { s.skipping.enabled = skipping }
        if let semanticWeight { s.semanticWeight = semanticWeight }
        if let lightPrior { s.lightPrior.weight = lightPrior }
        if let iterations { s.encoderIterations = iterations }
        layers.apply(to: &s.layers)
        return s
    }
}
