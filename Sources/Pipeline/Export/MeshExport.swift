import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model

/// A latent to a mesh file: extraction, the export frame, the format chosen by extension.
public enum MeshExport {
    public struct Outcome {
        var files: [String]
        var vertices: Int
        var triangles: Int
        /// The texture's side and the atlas's charts, when textured.
        var texture: (side: Int, charts: Int, texelsPerUnit: Float)?
        var closed: Bool
        var threshold: Float
        public var seconds: Double
        /// Silhouette IoU against the field's alpha at the test views (mean, worst), when checked.
        var iou: (mean: Double, worst: Double)?

        /// The outcome for `--json`, and as a sentence.
        public var fields: [String: Any] {
            var f: [String: Any] = [
                "out": files, "vertices": vertices, "triangles": triangles, "closed": closed,
                "threshold": Double(threshold), "seconds": seconds,
            ]
            if let texture {
                f["texture_size"] = texture.side
                f["charts"] = texture.charts
                f["texels_per_unit"] = Double(texture.texelsPerUnit)
            }
            if let iou {
                f["silhouette_iou_mean"] = iou.mean
                f["silhouette_iou_worst"] = iou.worst
            }
            return f
        }

        public var summary: String {
            String(
                format: "wrote %@ (%d vertices, %d triangles, %@, density threshold %.1f, %.2f s)",
                files.joined(separator: " and "), vertices, triangles, closed ? "closed" : "open", threshold, seconds)
                + (texture.map { String(format: "\n  texture %d² over %d charts", $0.side, $0.charts) } ?? "")
                + (iou.map {
                    String(
                        format: "\n  silhouette IoU with the field's alpha at the 25 test views: mean %.3f, worst %.3f",
                        $0.mean, $0.worst)
                } ?? "")
        }
    }

    /// Views of the mesh at four azimuths (the rig's 20° elevation), shaded under the canonical light.
    static func previewSheet(_ mesh: TriangleMesh, size: Int = 256) -> RGBAImage {
        let frames = [35.0, 125, 215, 305].map { az -> RGBAImage in
            let camera = Rig.camera(azimuth: az, elevation: 20, width: size, height: size)
            let rgb = MeshRender.render(mesh, camera: camera, light: ViewLight.canonical.direction)
            var img = RGBAImage(width: size, height: size)
            for k in 0..<(size * size) { for c in 0..<3 { img.pixels[4 * k + c] = rgb[3 * k + c] } }
            return img
        }
        return ContactSheet.make(frames, columns: 4)
    }

    /// `scene`'s mesh (its tuned decoder when it has one) in the world frame; an error naming
    /// `path` when there is no surface at the threshold.
    static func mesh(
        scene: LatentScene, settings: MeshSettings, light: ViewLight = .canonical, for path: String,
        progress: ((String) -> Void)? = nil
    ) throws -> TriangleMesh {
        try MemoryPlan.checkMesh(settings)
        return try surface(scene: scene, settings: settings, light: light, for: path, progress: progress)
    }

    static func surface(
        scene: LatentScene, settings: MeshSettings, light: ViewLight, for path: String,
        progress: ((String) -> Void)?
    ) throws -> TriangleMesh {
        let mesh = MeshExtraction.extract(
            field: scene.field, code: scene.latent.identity, settings: settings, light: light, progress: progress)
        guard !mesh.triangles.isEmpty else {
            throw FileError(
                path: path,
                reason:
                    "not written: no surface at density \(settings.threshold(for: scene.field.spec)) (try a lower --threshold)"
            )
        }
        return mesh
    }

    /// Whether `exporter` writes `settings`' texture (else vertex colours).
    public static func textured(_ exporter: any MeshExporter.Type, _ settings: MeshSettings) -> Bool {
        exporter.takesTextures && settings.textureSize > 0
    }

    /// `scene`'s asset in the world frame: the mesh, and with `textured` the mesh simplified to its
    /// budget, cut into an atlas and its texture baked from the field. Returns the atlas's figures too.
    static func asset(
        scene: LatentScene, settings: MeshSettings, light: ViewLight = .canonical, textured: Bool, for path: String,
        progress: ((String) -> Void)? = nil
    ) throws -> (asset: MeshAsset, atlas: UVAtlas.Result?, closed: Bool) {
        try MemoryPlan.checkMesh(settings, textured: textured)
        guard textured else {
            let mesh = try surface(scene: scene, settings: settings, light: light, for: path, progress: progress)
            return (MeshAsset(mesh: mesh), nil, mesh.isClosed)
        }
        var budgeted = settings
        budgeted.maxTriangles = settings.maxTriangles ?? settings.texturedTriangles
        let mesh = try surface(scene: scene, settings: budgeted, light: light, for: path, progress: progress)
        progress?("UV atlas")
        let atlas = UVAtlas.build(mesh, size: settings.textureSize)
        progress?("baking the texture")
        let bake = TextureBake.bake(
            mesh: atlas.mesh, field: scene.field, code: scene.latent.identity, size: settings.textureSize,
            inset: 0.5 * settings.spacing(for: scene.field.spec), light: light, bakedLight: settings.bakedLight)
        // The atlas splits vertices along its seams; the surface is closed or not before that.
        return (
            MeshAsset(mesh: atlas.mesh, baseColour: bake.image, bakedLight: settings.bakedLight), atlas, mesh.isClosed
        )
    }

    /// `scene`'s mesh as the bytes of one file in the format of `format` (an extension: "glb"),
    /// nothing written (the viewer's download). A format of several files gives its main one.
    public static func encode(
        scene: LatentScene, settings: MeshSettings, frame: MeshFrame = MeshFrame(), format: String
    ) throws -> Data {
        let name = "mesh." + format
        let exporter = try MeshExporters.exporter(for: name)
        let (asset, _, _) = try asset(
            scene: scene, settings: settings, textured: textured(exporter, settings), for: name)
        return try exporter.encode(frame.apply(asset), for: name)[0]
    }

    /// Extracts `scene`'s mesh (its tuned decoder when it has one) and writes it to `path`.
    public static func write(
        scene: LatentScene, settings: MeshSettings, frame: MeshFrame = MeshFrame(), light: ViewLight = .canonical,
        to path: String, check: Bool = false, preview: String? = nil, progress: ((String) -> Void)? = nil
    ) throws -> Outcome {
        let exporter = try MeshExporters.exporter(for: path)
        let t0 = Date()
        let textured = textured(exporter, settings)
        let (asset, atlas, closed) = try asset(
            scene: scene, settings: settings, light: light, textured: textured, for: path, progress: progress)
        let mesh = asset.mesh
        progress?("writing")
        try AtomicFile.transaction {
            try exporter.write(frame.apply(asset), to: path)
            if let preview { try PNG.write(previewSheet(mesh), to: preview) }
        }
        let seconds = Date().timeIntervalSince(t0)
        var iou: (mean: Double, worst: Double)? = nil
        if check {
            progress?("checking the silhouettes")
            iou = MeshExtraction.silhouetteIoU(mesh, field: scene.field, code: scene.latent.identity, light: light)
        }
        return Outcome(
            files: exporter.files(for: path, textured: textured), vertices: mesh.positions.count,
            triangles: mesh.triangles.count,
            texture: atlas.map { (settings.textureSize, $0.charts, $0.texelsPerUnit) },
            closed: closed, threshold: settings.threshold(for: scene.field.spec),
            seconds: seconds, iou: iou)
    }
}
