import FileIO
import Foundation
import Model

extension LatentScene {
    /// The inputs a command that reads the latent at `path` reads: the latent and its delta file.
    public static func inputs(ofLatent path: String) -> [String] { [path, DecoderDelta.path(forLatent: path)] }

    /// Removes a delta left beside `path` by an earlier tuned latent of that name: it belongs to
    /// the code just replaced.
    public static func removeStaleDelta(besideLatent path: String) { DecoderDelta.removeStale(besideLatent: path) }
}

/// A latent ready to render: its file, and the field to render it with (the model's own, or a
/// copy with the tuned decoder's delta beside the latent applied, with the layered latent's
/// residuals in its generator). `render`, `turntable` and every export load latents through
/// this, so a tuned or layered latent always renders as it was inverted.
public struct LatentScene {
    public var latent: LatentFile
    public var field: any RadianceField
    /// The delta file applied, or nil.
    public var deltaPath: String?

    /// Reads `path` for `model`; applies `<stem>.delta` when it is there. A delta made for another
    /// model or another identity code is refused, naming the file; a latent that names a delta
    /// which is missing is refused too (it would render with the untuned decoder silently).
    public static func load(_ path: String, model: NeRFModel) throws -> LatentScene {
        let latent = try LatentFile.read(path, for: model)
        let residuals = try LatentLayerEntry.residuals(latent.layers ?? [], for: model.field, path: path)
        let deltaPath = DecoderDelta.path(forLatent: path)
        guard FileManager.default.fileExists(atPath: deltaPath) else {
            if let named = latent.decoderDelta {
                throw FileError(
                    path: path,
                    reason: "was made with a tuned decoder, but its delta \(deltaPath) (\(named)) is missing")
            }
            return LatentScene(latent: latent, field: try LayeredField.with(residuals, on: model.field), deltaPath: nil)
        }
        let delta = try DecoderDelta.read(deltaPath, for: model)
        try delta.check(pivotOf: latent.identity, latentPath: path, deltaPath: deltaPath)
        return LatentScene(
            latent: latent, field: try LayeredField.with(residuals, on: delta.applied(to: model.field)),
            deltaPath: deltaPath)
    }
}
