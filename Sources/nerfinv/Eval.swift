import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv eval`: novel-view quality on a test-protocol dataset.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score novel views of held-out objects (test protocol: view 0 is the input, views 1-24 are scored).",
        discussion: """
            Modes:
              encoder      the encoder's identity and view codes from view 0
              refine       encoder start (and the iterative encoder's updates, where the model has
                           one: --iterations), then refinement of both codes against view 0
              fast         the encoder and the iterative encoder's updates only (invert --fast)
              mean-refine  optimisation only: mean code, coarse pose search, refinement
              fit          a code fitted to all 25 posed views (multi-view upper bound)
              layered      refine, then the layered latent (--layer-steps, default 150 here);
                           beside it, refine is the code only
            Novel views are rendered at their true cameras. Object PSNR counts only pixels inside the \
            union of the true and predicted silhouettes. Code consistency is the mean cosine similarity \
            of (mean-centred) identity codes inverted from two views of one object, against that of two \
            objects.

            Example:
              nerfinv eval --data data/cars_test --modes encoder,refine,mean-refine,fit \\
                --report eval.json --save-renders eval_renders
              nerfinv eval --data data/ood/blender --modes refine,layered --save-renders sheets
              nerfinv eval --data data/cars_test --shard 2/8 --report shard2.json    # one task of 8
              nerfinv eval --merge shard*.json --report eval.json                    # the whole set's report
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Test-protocol dataset folder (from `nerfinv generate --protocol test`).")
    var data: String?

    @Option(
        help:
            "Evaluate every N-th object only, starting at the K-th (K/N, 1 ≤ K ≤ N); the report keeps each object's figures for --merge."
    )
    var shard: String?

    @Option(
        parsing: .upToNextOption,
        help: "Shard reports (from --shard) to merge into the whole set's figures, instead of evaluating.")
    var merge: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: "Modes to evaluate (comma or space separated): encoder, refine, mean-refine, fit, layered, fast.")
    var modes: [String] = ["encoder", "refine", "mean-refine", "fit"]

    @Option(help: "Evaluate only the first N objects.")
    var limit: Int?

    @Option(help: "Only cars of these paint families, comma separated: black, grey, white, dark blue, saturated.")
    var paint: String?

    @Option(help: "Adam steps for the fit mode.")
    var fitSteps: Int = MultiViewFit.defaultSteps

    @Option(help: "Refine and mean-refine steps (default: the model's; 300, or 150 for lit-triplane).")
    var refineSteps: Int?

    @OptionGroup var refine: RefineOptions

    @Option(help: "Write the figures as JSON here.")
    var report: String?

    @Option(help: "Folder for a comparison sheet per mode (input, truth, prediction), and one of all modes.")
    var saveRenders: String?

    @OptionGroup var restoration: EvalInputOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (data == nil) != merge.isEmpty else {
            throw ValidationError("name a set with --data, or reports with --merge")
        }
        if let shard, case .failure(let e) = Shard.parse(shard) { throw ValidationError(e.reason) }
        _ = try EvaluationSettings.Mode.parse(modes)
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard fitSteps >= 1, fitSteps <= 100_000 else { throw ValidationError("--fit-steps must be in 1...100000") }
    }

    func run() throws {
        guard let data else { return try show(try Evaluation.merge(reports: merge), inputs: merge) }
        // The report and renders folder are checked before the evaluation (which can take minutes).
        var plan = OutputPlan(inputs: [data, modelOptions.model])
        if let report { try plan.add(file: report) }
        if let saveRenders { try plan.add(folder: saveRenders) }
        let model = try modelOptions.load()
        var settings = EvaluationSettings()
        settings.modes = try EvaluationSettings.Mode.parse(modes)
        settings.limit = limit
        settings.paints = try paint.map(PaintFamily.parse)
        settings.fitSteps = fitSteps
        settings.shard = try shard.map { try Shard.parse($0).get() }
        var refineSettings = try refine.settings(base: model.refineDefaults)
        if let refineSteps { refineSettings.steps = refineSteps }
        settings.refine = try checked(refineSettings, flags: ["steps": "--refine-steps"])
        settings.saveRenders = saveRenders
        try restoration.apply(to: &settings)
        settings.tune = try refine.tuneSettings()
        var bars: [EvaluationSettings.Mode: ProgressBar] = [:]
        let results = try Evaluation.run(model: model, data: data, settings: settings) { mode, done, total, psnr in
            bars[mode] =
                bars[mode]
                ?? ProgressBar(
                    total: total, label: "eval \(mode.rawValue)", unit: "objects", quiet: output.silent,
                    logOffTerminal: true)
            bars[mode]!.update(done, extra: String(format: "novel-view PSNR %.2f dB", psnr))
        }
        try show(results, inputs: [])
    }

    /// Writes the report (checked against `inputs` first) and prints the table or JSON.
    func show(_ results: [ModeResult], inputs: [String]) throws {
        if let report {
            var plan = OutputPlan(inputs: inputs)
            try plan.add(file: report)
            try Evaluation.writeReport(results, to: report)
        }
        if output.json {
            print(try Evaluation.json(results))
        } else if !output.quiet {
            print(Evaluation.table(results))
        }
    }
}
