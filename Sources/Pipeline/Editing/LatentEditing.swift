import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model
import NeuralCore

/// Moving through the latent space: interpolation between two latents, principal-direction
/// edits, and new objects sampled from the code table's Gaussian. Edited codes render with the
/// model's own decoder (a tuned decoder belongs to one code). A layered latent's residuals stay
/// with an edit (they add to the generator's activations whatever the code: the edit moves the
/// object, the residuals keep the photo's detail on it), and interpolation blends them linearly.
public enum LatentEditing {
    /// A latent with another identity code, the same view, saying how it was made.
    static func derived(from source: LatentFile, identity: [Float], method: String, sourceName: String)
        -> LatentFile
    {
        var l = source
        l.identity = identity
        l.obtained = .init(method: method, source: sourceName, steps: 0, views: 0, seconds: 0)
        l.losses = [:]
        l.decoderDelta = nil
        return l
    }

    /// The residuals of a latent's layers (none for a code-only latent).
    static func residuals(of latent: LatentFile, model: NeRFModel, path: String) throws -> [LayerResidual] {
        try LatentLayerEntry.residuals(latent.layers ?? [], for: model.field, path: path)
    }

    /// (1 - t) a + t b, layer by layer (a layer one of them lacks counts as zero there).
    static func blend(_ a: [LayerResidual], _ b: [LayerResidual], t: Float) -> [LayerResidual] {
        var names = a.map(\.name)
        for r in b where !names.contains(r.name) { names.append(r.name) }
        return names.map { name in
            let x = a.first { $0.name == name }?.values, y = b.first { $0.name == name }?.values
            let n = (x ?? y)!.count
            return LayerResidual(
                name: name, values: (0..<n).map { (1 - t) * (x?[$0] ?? 0) + t * (y?[$0] ?? 0) })
        }
    }

    /// A latent of a sampled or mean code, seen from the rig's default view.
    public static func fresh(model: NeRFModel, identity: [Float], method: String)
        -> LatentFile
    {
        LatentFile(
            model: model.identity, identity: identity,
            view: .init(
                azimuth: 35, elevation: 20, distance: model.config.cameraDistance, fov: model.config.fovDegrees),
            obtained: .init(method: method, source: model.identity.name, steps: 0, views: 0, seconds: 0), losses: [:],
            light: model.field.conditionSize > 0 ? ViewLight.canonical.packed : nil)
    }

    /// Renders each code at one camera.
    static func renders(
        field: any RadianceField, codes: [[Float]], camera: RenderCamera, azimuth: Double, elevation: Double,
        light: ViewLight = .canonical
    ) -> [RGBAImage] {
        codes.map { code in
            let r = FieldRenderer(field: field, code: code)
            r.light = light
            return r.render(camera: camera.camera(azimuth: azimuth, elevation: elevation)).image.clamped()
        }
    }

    /// The files `interpolate` writes in `folder`: each step's latent and frame, then strip.png.
    public static func interpolationFiles(steps: Int, in folder: String) -> (latents: [String], others: [String]) {
        let stems = (0...steps).map { String(format: "%@/step_%02d", folder, $0) }
        return (stems.map { $0 + ".latent" }, stems.map { $0 + ".png" } + [folder + "/strip.png"])
    }

    /// `steps` + 1 latents from a to b (t = 0, 1/steps, ..., 1) in `folder` (step_00.latent ...),
    /// a frame of each (step_00.png ...) and strip.png, all or none; a tuned decoder left beside one
    /// of those names by an earlier run is removed (it belongs to another code).
    public static func interpolate(
        _ a: LatentFile, _ b: LatentFile, names: (String, String), steps: Int, model: NeRFModel,
        camera: RenderCamera, azimuth: Double, elevation: Double, to folder: String
    ) throws -> [String] {
        try MemoryPlan.checkFrames(
            side: camera.size, kept: 2 * (steps + 1),
            what: "an interpolation of \(steps + 1) frames at \(camera.size)x\(camera.size)")
        let codes = (0...steps).map {
            CodeDistribution.interpolate(a.identity, b.identity, t: Float($0) / Float(steps))
        }
        let (ra, rb) = (
            try residuals(of: a, model: model, path: names.0), try residuals(of: b, model: model, path: names.1)
        )
        let layered = !ra.isEmpty || !rb.isEmpty
        let blends = (0...steps).map { blend(ra, rb, t: Float($0) / Float(steps)) }
        var frames: [RGBAImage] = []
        for (code, r) in zip(codes, blends) {
            frames += renders(
                field: try LayeredField.with(r, on: model.field), codes: [code], camera: camera, azimuth: azimuth,
                elevation: elevation)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [String] = []
        let files = interpolationFiles(steps: steps, in: folder)
        try AtomicFile.transaction {
            for (k, code) in codes.enumerated() {
                let t = Float(k) / Float(steps)
                let name = String(files.latents[k].dropLast(7))
                var latent = derived(
                    from: a, identity: code, method: String(format: "interpolation t=%.3f", t),
                    sourceName: "\(names.0) -> \(names.1)")
                latent.layers = layered ? try LatentLayerEntry.entries(blends[k], field: model.field) : nil
                try latent.write(to: name + ".latent")
                try PNG.write(frames[k], to: name + ".png")
                written.append(name + ".latent")
            }
            try PNG.write(ContactSheet.make(frames, columns: frames.count), to: folder + "/strip.png")
        }
        for latent in written { DecoderDelta.removeStale(besideLatent: latent) }
        return written
    }

    /// A sheet of a code's edits: a column per code of `codes` (the code moved by each amount), a
    /// row per azimuth at the rig's 20° elevation.
    static func editSheet(
        codes: [[Float]], field: any RadianceField, camera: RenderCamera, azimuths: [Double] = [35, 90, 215]
    ) -> RGBAImage {
        var cells: [RGBAImage] = []
        for az in azimuths {
            cells += renders(field: field, codes: codes, camera: camera, azimuth: az, elevation: 20)
        }
        return ContactSheet.make(cells, columns: codes.count)
    }
}
