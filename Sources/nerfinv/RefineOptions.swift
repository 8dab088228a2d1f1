import ArgumentParser
import Model
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

    func validate() throws {
        if let refineRays, !(16...65536).contains(refineRays) {
            throw ValidationError("--refine-rays must be in 16...65536")
        }
        if let anchorWeight, !(anchorWeight >= 0 && anchorWeight.isFinite) {
            throw ValidationError("--anchor-weight must be finite and ≥ 0")
        }
        if let refineLR, !(refineLR > 0 && refineLR.isFinite) { throw ValidationError("--refine-lr must be > 0") }
        if let prior, !(prior >= 0 && prior.isFinite) { throw ValidationError("--prior must be finite and ≥ 0") }
        if let objectRays, !(0...1).contains(objectRays) { throw ValidationError("--object-rays must be in 0...1") }
    }

    /// The preset (or the defaults) with the given flags applied.
    func settings() throws -> RefineSettings {
        var s = try config.map { try Preset.load(RefineSettings.self, from: $0) } ?? RefineSettings()
        if let refineRays { s.raysPerStep = refineRays }
        if let refineLR { s.lrCode = refineLR }
        if let anchorWeight { s.anchorWeight = anchorWeight }
        if let prior { s.prior = prior }
        if let objectRays { s.objectRayFraction = objectRays }
        if let photometric { s.refinePhotometric = photometric }
        if let skipping { s.skipping.enabled = skipping }
        return s
    }
}

extension EvaluationSettings.TruePose: ExpressibleByArgument {}
