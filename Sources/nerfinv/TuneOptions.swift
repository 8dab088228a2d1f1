import ArgumentParser
import FileIO
import Pipeline

/// Decoder tuning after the code inversion (`invert` and `eval`): a preset, then the flags given.
struct TuneOptions: ParsableArguments {
    @Flag(
        help:
            "After the code inversion, fine-tune part of the decoder on the photo (pivotal tuning), with a locality term and an early stop on held-out pixels; invert writes the tuned weights beside the latent as <name>.delta, which render and turntable apply."
    )
    var tuneDecoder = false

    @Option(help: "Decoder-tuning preset (JSON, keys of TuneSettings); implies --tune-decoder.")
    var tuneConfig: String?

    @Option(help: "Decoder-tuning steps at most (default 70; the early stop usually ends sooner).")
    var tuneSteps: Int?

    @Option(help: "Learning rate of decoder tuning (default 2e-3).")
    var tuneLR: Float?

    @Option(
        help:
            "Weight of tuning's locality term: renders of codes around the pivot stay as the original decoder's (default 1)."
    )
    var localityWeight: Float?

    /// The decoder-tuning settings, or nil without --tune-decoder (or a tuning preset).
    func settings() throws -> TuneSettings? {
        guard tuneDecoder || tuneConfig != nil else { return nil }
        var t = try tuneConfig.map { try Preset.load(TuneSettings.self, from: $0) } ?? TuneSettings()
        if let tuneSteps { t.steps = tuneSteps }
        if let tuneLR { t.lr = tuneLR }
        if let localityWeight { t.localityWeight = localityWeight }
        return try checked(t)
    }
}
