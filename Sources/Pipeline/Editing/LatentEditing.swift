import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model
import NeuralCore

/// Moving through the latent space: interpolation between two latents, principal-direction
/// edits, and new objects sampled from the code table's Gaussian. Edited codes render with the
/// model's own decoder (a tuned decoder belongs to one code).
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

    /// `steps` + 1 latents from a to b (t = 0, 1/steps, ..., 1) in `folder` (step_00.latent ...),
    /// a frame of each (step_00.png ...) and strip.png, all or none.
    public static func interpolate(
        _ a: LatentFile, _ b: LatentFile, names: (String, String), steps: Int, model: NeRFModel,
        camera: RenderCamera, azimuth: Double, elevation: Double, to folder: String
    ) throws -> [String] {
        let codes = (0...steps).map {
            CodeDistribution.interpolate(a.identity, b.identity, t: Float($0) / Float(steps))
        }
        let frames = renders(field: model.field, codes: codes, camera: camera, azimuth: azimuth, elevation: elevation)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [String] = []
        try AtomicFile.transaction {
            for (k, code) in codes.enumerated() {
                let t = Float(k) / Float(steps)
                let name = String(format: "%@/step_%02d", folder, k)
                try derived(
                    from: a, identity: code, method: String(format: "interpolation t=%.3f", t),
                    sourceName: "\(names.0) -> \(names.1)"
                ).write(to: name + ".latent")
                try PNG.write(frames[k], to: name + ".png")
                written.append(name + ".latent")
            }
            try PNG.write(ContactSheet.make(frames, columns: frames.count), to: folder + "/strip.png")
        }
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
