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
              refine       encoder start, then refinement of both codes against view 0
              mean-refine  optimisation only: mean code, coarse pose search, refinement
              fit          a code fitted to all 25 posed views (multi-view upper bound)
            Novel views are rendered at their true cameras. Object PSNR counts only pixels inside the \
            union of the true and predicted silhouettes. Code consistency is the mean cosine similarity \
            of (mean-centred) identity codes inverted from two views of one object, against that of two \
            objects.

            Example:
              nerfinv eval --data data/cars_test --modes encoder,refine,mean-refine,fit \\
                --report eval.json --save-renders eval_renders
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Test-protocol dataset folder (from `nerfinv generate --protocol test`).")
    var data: String

    @Option(
        parsing: .upToNextOption,
        help: "Modes to evaluate (comma or space separated): encoder, refine, mean-refine, fit.")
    var modes: [String] = ["encoder", "refine", "mean-refine", "fit"]

    @Option(help: "Evaluate only the first N objects.")
    var limit: Int?

    @Option(help: "Adam steps for the fit mode.")
    var fitSteps: Int = MultiViewFit.defaultSteps

    @Option(help: "Refine and mean-refine steps (default: the model's; 300, or 150 for lit-triplane).")
    var refineSteps: Int?

    @OptionGroup var refine: RefineOptions

    @Option(help: "Diagnostic: refinement starts at view 0's true camera and keeps it fixed, or only starts there.")
    var truePose: EvaluationSettings.TruePose?

    @Option(
        help:
            "Objects whose second view is also inverted for the consistency figure (refining modes; the encoder does all)."
    )
    var consistencyObjects: Int = 10

    @Option(help: "Write the figures as JSON here.")
    var report: String?

    @Option(help: "Folder for a comparison sheet per mode (input | truth | prediction for a few novel views).")
    var saveRenders: String?

    @OptionGroup var output: OutputOptions

    var parsedModes: [EvaluationSettings.Mode] {
        modes.flatMap { $0.split(separator: ",") }.compactMap { EvaluationSettings.Mode(rawValue: String($0)) }
    }

    @Option(
        help: "Restoration: hide a random rectangle covering this fraction of the object in the input view (0-0.9).")
    var occlude: Double?

    @Flag(help: "Restoration: invert a grayscale version of the input view (luminance loss); colour is scored.")
    var grayscale = false

    @Option(
        help:
            "Restoration: shrink the input view to this side (e.g. 16, 32) before inverting; views are scored at full size."
    )
    var inputSize: Int?

    @Option(
        help:
            "Views of the test protocol given as input, comma separated (e.g. 0,13,7: one joint inversion of three photos); the others are scored (default 0)."
    )
    var inputViews: String = "0"

    /// The --input-views list, or why it is not one.
    func parsedInputViews() throws -> [Int] {
        let parts = inputViews.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let views = parts.compactMap { Int($0) }
        guard !views.isEmpty, views.count == parts.count,
            views.allSatisfy({ (0..<EvaluationSettings.protocolViews).contains($0) })
        else {
            throw ValidationError(
                "--input-views takes view numbers 0...\(EvaluationSettings.protocolViews - 1), comma separated (e.g. 0,13,7)"
            )
        }
        guard Set(views).count == views.count else { throw ValidationError("--input-views names a view twice") }
        return views
    }

    @Flag(
        help:
            "Input views from the set's photos with backgrounds (photo/, from generate --backgrounds); scored views stay over white."
    )
    var backgroundInput = false

    @Option(help: "Matting network that removes those backgrounds first (without it they are inverted as they are).")
    var matting: String?

    func validate() throws {
        _ = try parsedInputViews()
        if matting != nil && !backgroundInput { throw ValidationError("--matting goes with --background-input") }
        if let inputSize, !(8...512).contains(inputSize) { throw ValidationError("--input-size must be in 8...512") }
        if let occlude, !(occlude > 0 && occlude <= 0.9) { throw ValidationError("--occlude must be in (0, 0.9]") }
        guard !parsedModes.isEmpty else {
            throw ValidationError(
                "--modes names no mode; available: \(EvaluationSettings.Mode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        for n in modes.flatMap({ $0.split(separator: ",") }).map(String.init)
        where EvaluationSettings.Mode(rawValue: n) == nil {
            throw ValidationError(
                "unknown mode '\(n)'; available: \(EvaluationSettings.Mode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard fitSteps >= 1, fitSteps <= 100_000 else { throw ValidationError("--fit-steps must be in 1...100000") }
        guard consistencyObjects >= 0 else { throw ValidationError("--consistency-objects must be ≥ 0") }
    }

    func run() throws {
        // The report and renders folder are checked before the evaluation (which can take minutes).
        var plan = OutputPlan(inputs: [data, modelOptions.model])
        if let report { try plan.add(file: report) }
        if let saveRenders { try plan.add(folder: saveRenders) }
        let model = try modelOptions.load()
        var settings = EvaluationSettings()
        settings.modes = parsedModes
        settings.limit = limit
        settings.fitSteps = fitSteps
        var refineSettings = try refine.settings(base: model.refineDefaults)
        if let refineSteps { refineSettings.steps = refineSteps }
        settings.refine = try RefineOptions.checked(refineSettings, flags: ["steps": "--refine-steps"])
        settings.truePose = truePose
        settings.consistencyObjects = consistencyObjects
        settings.saveRenders = saveRenders
        settings.occlude = occlude
        settings.grayscale = grayscale
        settings.inputSize = inputSize
        settings.inputViews = try parsedInputViews()
        settings.tune = try refine.tuneSettings()
        settings.backgroundInput = backgroundInput
        settings.matting = try matting.map { try InversionSession.loadMatting($0) }
        var bars: [EvaluationSettings.Mode: ProgressBar] = [:]
        let results: [ModeResult]
        do {
            results = try Evaluation.run(model: model, data: data, settings: settings) { mode, done, total, psnr in
                let bar =
                    bars[mode]
                    ?? ProgressBar(
                        total: total, label: "eval \(mode.rawValue)", unit: "objects", quiet: output.silent,
                        logOffTerminal: true)
                bars[mode] = bar
                bar.update(done, extra: String(format: "novel-view PSNR %.2f dB", psnr))
            }
        } catch let e as ModelError { throw ValidationError("\(modelOptions.model): \(e)") }
        if let report { try Evaluation.writeReport(results, to: report) }
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
        } else if !output.quiet {
            print(Evaluation.table(results))
        }
    }
}
