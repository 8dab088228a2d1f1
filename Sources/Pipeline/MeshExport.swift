import Datasets
import FileIO
import Foundation
import Geometry
import Model

/// A latent to a mesh file: extraction, the export frame, the format chosen by extension.
public enum MeshExport {
    public struct Outcome {
        public var files: [String]
        public var vertices: Int
        public var triangles: Int
        public var closed: Bool
        public var threshold: Float
        public var seconds: Double
        /// Silhouette IoU against the field's alpha at the test views (mean, worst), when checked.
        public var iou: (mean: Double, worst: Double)?
    }

    /// Extracts `scene`'s mesh (its tuned decoder when it has one) and writes it to `path`.
    public static func write(
        scene: LatentScene, settings: MeshSettings, frame: MeshFrame = MeshFrame(), light: ViewLight = .canonical,
        to path: String, check: Bool = false, progress: ((String) -> Void)? = nil
    ) throws -> Outcome {
        let exporter = try MeshExporters.exporter(for: path)
        let t0 = Date()
        let mesh = MeshExtraction.extract(
            field: scene.field, code: scene.latent.identity, settings: settings, light: light, progress: progress)
        guard !mesh.triangles.isEmpty else {
            throw FileError(
                path: path,
                reason:
                    "not written: no surface at density \(settings.threshold ?? MeshExtraction.defaultThreshold(scene.field.spec)) (try a lower --threshold)"
            )
        }
        progress?("writing")
        try exporter.write(frame.apply(mesh), to: path)
        let seconds = Date().timeIntervalSince(t0)
        var iou: (mean: Double, worst: Double)? = nil
        if check {
            progress?("checking the silhouettes")
            iou = MeshExtraction.silhouetteIoU(mesh, field: scene.field, code: scene.latent.identity, light: light)
        }
        return Outcome(
            files: exporter.files(for: path), vertices: mesh.positions.count, triangles: mesh.triangles.count,
            closed: mesh.isClosed, threshold: settings.threshold ?? MeshExtraction.defaultThreshold(scene.field.spec),
            seconds: seconds, iou: iou)
    }
}
