import FileIO
import Foundation
import Imaging
import Model

/// The files of one inversion's result, owned in one place: which they are (for an `OutputPlan`,
/// before any work) and how they are written (all of them or none).
///
/// For a latent `car.latent`: `car.latent`, `car_input.png` (what the model saw),
/// `car_input_reconstruction.png` (input | reconstruction), `car.delta` (a tuned decoder),
/// `car_mask.png` and `car_cutout.png` (a removed background), and the turntable folder.
public struct LatentWriter {
    var latentPath: String
    var request: InversionRequest

    public init(latentPath: String, request: InversionRequest) {
        self.latentPath = latentPath
        self.request = request
    }

    /// The latent's path without `.latent`: the other files' names start with it.
    var stem: String { latentPath.hasSuffix(".latent") ? String(latentPath.dropLast(7)) : latentPath }
    var inputPath: String { LatentPhoto.path(forLatent: latentPath) }
    var comparisonPath: String { stem + "_input_reconstruction.png" }
    public var deltaPath: String { DecoderDelta.path(forLatent: latentPath) }
    var maskPath: String { stem + "_mask.png" }
    var cutoutPath: String { stem + "_cutout.png" }

    /// Every file the request may write, and the turntable folder.
    public var outputs: (files: [String], folder: String?) {
        // The delta beside the latent is written (tuned) or removed (a stale one): an output either way.
        let delta = [deltaPath]
        let matting = request.background == .keep || request.mask != nil ? [] : [maskPath, cutoutPath]
        return ([latentPath, inputPath, comparisonPath] + delta + matting, request.turntable)
    }

    /// Writes the inversion's files. A failure in any (a full disk, a turntable folder that is a
    /// file) leaves the previous latent and pictures as they were; a delta left from an earlier
    /// tuned latent of this name, which belongs to the code just replaced, goes.
    func write(_ inferred: InversionSession.Inferred, latent: LatentFile) throws {
        let dir = URL(fileURLWithPath: latentPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        try AtomicFile.transaction {
            try latent.write(to: latentPath)
            try inferred.delta?.write(to: deltaPath)
            if let mask = inferred.mask, let cutout = inferred.cutout {
                try PNG.writeBytes(
                    (0..<(mask.width * mask.height)).map {
                        UInt8(max(0, min(255, (mask.pixels[4 * $0] * 255).rounded())))
                    },
                    width: mask.width, height: mask.height, channels: 1, to: maskPath)
                try PNG.write(cutout, to: cutoutPath, alpha: true)
            }
            let inputs = inferred.inputs
            try PNG.write(
                inputs.count == 1 ? inferred.input : ContactSheet.make(inputs, columns: inputs.count), to: inputPath)
            // input | reconstruction; for several photos, the inputs above their reconstructions.
            try PNG.write(
                inputs.count == 1
                    ? ContactSheet.make([inferred.input, inferred.reconstruction], columns: 2)
                    : ContactSheet.make(inputs + inferred.reconstructions, columns: inputs.count), to: comparisonPath)
            if let folder = request.turntable {
                try RenderExport.turntable(
                    field: inferred.field, code: inferred.result.code, frames: request.turntableFrames,
                    elevation: request.turntableElevation, camera: request.turntableCamera, to: folder,
                    gif: folder + "/turntable.gif")
            }
        }
        if inferred.delta == nil { DecoderDelta.removeStale(besideLatent: latentPath) }
    }
}
