import ArgumentParser
import Foundation
import Pipeline

/// What `eval` gives the inversion as its input: restorations of view 0 (occluded, grayscale,
/// shrunk), several views for a joint inversion, the set's photos with backgrounds, or the true
/// pose; and how many objects the consistency figure inverts twice.
struct EvalInputOptions: ParsableArguments {
    @Option(help: "Diagnostic: refinement starts at view 0's true camera and keeps it fixed, or only starts there.")
    var truePose: EvaluationSettings.TruePose?

    @Option(
        help:
            "Objects whose second view is also inverted for the consistency figure (refining modes; the encoder does all)."
    )
    var consistencyObjects: Int = 10

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
        guard consistencyObjects >= 0 else { throw ValidationError("--consistency-objects must be ≥ 0") }
        if matting != nil && !backgroundInput { throw ValidationError("--matting goes with --background-input") }
        if let inputSize, !(8...512).contains(inputSize) { throw ValidationError("--input-size must be in 8...512") }
        if let occlude, !(occlude > 0 && occlude <= 0.9) { throw ValidationError("--occlude must be in (0, 0.9]") }
    }

    func apply(to settings: inout EvaluationSettings) throws {
        settings.truePose = truePose
        settings.consistencyObjects = consistencyObjects
        settings.occlude = occlude
        settings.grayscale = grayscale
        settings.inputSize = inputSize
        settings.inputViews = try parsedInputViews()
        settings.backgroundInput = backgroundInput
        settings.matting = try matting.map { try InversionSession.loadMatting($0) }
    }
}
