import Foundation
import Imaging
import Model

/// What one photo's inversion produced.
public struct InversionOutcome {
    public var photo: String
    var latentPath: String
    public var result: InversionResult
    /// The photo as the model saw it, and its reconstruction at the found view (photometric code applied).
    public var input: RGBAImage
    public var reconstruction: RGBAImage
    var inputPSNR: Double
    public var framing: String
    var comparisonPath: String
    var method: String
    public var turntable: String?
    /// The tuned or layered field the result renders with (nil: the model's own).
    var tunedField: (any RadianceField)? = nil
    /// The photo as given and its predicted object mask, when its background was removed.
    var removed: (photo: RGBAImage, mask: RGBAImage)? = nil

    /// The outcome as JSON fields (`--json`) and as a sentence.
    public var fields: [String: Any] {
        var f: [String: Any] = [
            "photo": photo, "latent": latentPath, "azimuth": result.view.azimuth, "elevation": result.view.elevation,
            "input_psnr_db": inputPSNR, "seconds": result.seconds, "method": method, "reconstruction": comparisonPath,
        ]
        if let turntable { f["turntable"] = turntable }
        if let layers = result.layers {
            var entry: [String: Any] = [
                "names": layers.layers, "steps": layers.steps, "relative_sizes": layers.relativeSizes.map(Double.init),
                "seconds": layers.seconds, "kept": layers.accepted,
            ]
            if let psnr = layers.heldOutPSNR {
                entry["validation_psnr_before_db"] = psnr.before
                entry["validation_psnr_after_db"] = psnr.after
            }
            f["layers"] = entry
        }
        if let tuning = result.tuning {
            f["tuning"] = [
                "steps": tuning.steps, "validation_psnr_before_db": tuning.validationPSNRBefore,
                "validation_psnr_after_db": tuning.validationPSNRAfter, "seconds": tuning.seconds,
            ]
        }
        if result.views.count > 1 {
            f["views"] = result.views.map { ["azimuth": $0.azimuth, "elevation": $0.elevation] }
        }
        return f
    }

    public var summary: String {
        String(
            format: "wrote %@ (%@, azimuth %.1f°, elevation %.1f°, input PSNR %.2f dB, %.2f s)", latentPath, method,
            result.view.azimuth, result.view.elevation, inputPSNR, result.seconds)
            + (result.views.count > 1
                ? "\n  views: "
                    + result.views.map { String(format: "%.1f°/%.1f°", $0.azimuth, $0.elevation) }.joined(
                        separator: ", ") : "")
            + (result.layers.map {
                String(
                    format: "\n  layers %@: %d steps, held-out pixels %.2f -> %.2f dB (%.1f s)%@",
                    $0.layers.joined(separator: " + "), $0.steps, $0.validationPSNRBefore, $0.validationPSNRAfter,
                    $0.seconds, $0.accepted ? "" : "; under --layer-min-gain: the code-only result is kept")
            } ?? "")
            + (result.tuning.map {
                String(
                    format:
                        "\n  decoder tuned: %d steps, held-out pixels %.2f -> %.2f dB (%.1f s); delta beside the latent",
                    $0.steps, $0.validationPSNRBefore, $0.validationPSNRAfter, $0.seconds)
            } ?? "")
            + "\n  input and reconstruction: \(comparisonPath)"
            + (turntable.map { "; turntable: \($0)/contact_sheet.png" } ?? "")
    }
}
