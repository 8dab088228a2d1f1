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
        /// Texels the photo saw, texels it gave through the mirror, and seen texels per object pixel.
        var photo: (seen: Int, mirrored: Int, texelsPerPhotoPixel: Double)?

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
            if let photo {
                f["photo_texels"] = photo.seen
                f["mirrored_texels"] = photo.mirrored
                f["texels_per_photo_pixel"] = photo.texelsPerPhotoPixel
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
                + (photo.map {
                    String(
                        format: "; the photo's own detail on %d texels (%.1f per photo pixel), mirrored onto %d more",
                        $0.seen, $0.texelsPerPhotoPixel, $0.mirrored)
                } ?? "")
                + (iou.map {
                    String(
                        format: "\n  silhouette IoU with the field's alpha at the 25 test views: mean %.3f, worst %.3f",
                        $0.mean, $0.worst)
                } ?? "")
        }
    }

    /// Views of the mesh at four azimuths (the rig's 20° elevation), shaded under the canonical light
    /// (a baked texture as it is); a textured asset adds its texture and, with a photo, where each
    /// texel's colour came from (green: seen in the photo, orange: mirrored, grey: the model's).
    static func previewSheet(_ asset: MeshAsset, size: Int = 256) -> RGBAImage {
        let mesh = asset.mesh
        let texture = asset.baseColour.map {
            MeshRender.Texture(pixels: $0.pixels, width: $0.width, height: $0.height)
        }
        var frames = [35.0, 125, 215, 305].map { az -> RGBAImage in
            let camera = Rig.camera(azimuth: az, elevation: 20, width: size, height: size)
            let rgb = MeshRender.render(
                mesh, camera: camera, light: ViewLight.canonical.direction, texture: texture, unlit: asset.bakedLight)
            var img = RGBAImage(width: size, height: size)
            for k in 0..<(size * size) { for c in 0..<3 { img.pixels[4 * k + c] = rgb[3 * k + c] } }
            return img
        }
        guard let base = asset.baseColour else { return ContactSheet.make(frames, columns: 4) }
        frames.append(Resample.resize(base, width: size, height: size))
        if let confidence = asset.confidence {
            var coded = confidence
            let seen = SIMD3<Float>(0.2, 0.75, 0.25), mirrored = SIMD3<Float>(1, 0.6, 0.1),
                model = SIMD3<Float>(0.6, 0.6, 0.6)
            for k in 0..<(coded.width * coded.height) {
                let w = SIMD3(confidence.pixels[4 * k], confidence.pixels[4 * k + 1], confidence.pixels[4 * k + 2])
                let c = w.sum() > 0 ? w.x * seen + w.y * mirrored + w.z * model : SIMD3<Float>(1, 1, 1)
                for j in 0..<3 { coded.pixels[4 * k + j] = c[j] }
            }
            frames.append(Resample.resize(coded, width: size, height: size))
        }
        return ContactSheet.make(frames, columns: 4)
    }

    /// `scene`'s mesh (its tuned decoder when it has one) in the world frame; an error naming
    /// `path` when there is no surface at the threshold. The caller checks the memory it plans.
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

    /// What building an asset made, beside the asset itself.
    struct Built {
        var asset: MeshAsset
        var atlas: UVAtlas.Result?
        /// The surface before the atlas split its vertices along the seams.
        var closed: Bool
        var photo: PhotoTexture.Result?
    }

    /// `scene`'s asset in the world frame: the mesh, and with `textured` the mesh simplified to its
    /// budget, cut into an atlas, its texture baked from the field and, given `photo`, the photo's
    /// own detail put where it saw the surface.
    static func asset(
        scene: LatentScene, settings: MeshSettings, light: ViewLight = .canonical, textured: Bool,
        photo: PhotoTexture.Photo? = nil, for path: String, progress: ((String) -> Void)? = nil
    ) throws -> Built {
        try MemoryPlan.checkMesh(settings, textured: textured)
        guard textured else {
            let mesh = try surface(scene: scene, settings: settings, light: light, for: path, progress: progress)
            return Built(asset: MeshAsset(mesh: mesh), atlas: nil, closed: mesh.isClosed, photo: nil)
        }
        var budgeted = settings
        budgeted.maxTriangles = settings.maxTriangles ?? settings.texturedTriangles
        let mesh = try surface(scene: scene, settings: budgeted, light: light, for: path, progress: progress)
        progress?("UV atlas")
        let atlas = UVAtlas.build(mesh, size: settings.textureSize)
        progress?("baking the texture")
        let spacing = settings.spacing(for: scene.field.spec)
        let bake = TextureBake.bake(
            mesh: atlas.mesh, field: scene.field, code: scene.latent.identity, size: settings.textureSize,
            inset: 0.5 * spacing, light: light, bakedLight: settings.bakedLight)
        var asset = MeshAsset(mesh: atlas.mesh, baseColour: bake.image, bakedLight: settings.bakedLight)
        var fromPhoto: PhotoTexture.Result?
        if let photo {
            progress?("the photo's detail")
            // The light baked in is the photo's: the texture takes the photo's exposure too (its look).
            let photoLook = settings.bakedLight && light.packed == photo.light.packed
            let result = PhotoTexture.apply(
                bake, field: scene.field, code: scene.latent.identity, photo: photo, spacing: spacing,
                bakedLight: settings.bakedLight, exposure: photoLook)
            asset.baseColour = result.image
            var confidence = RGBAImage(width: settings.textureSize, height: settings.textureSize)
            for k in 0..<(confidence.width * confidence.height) {
                for c in 0..<3 { confidence.pixels[4 * k + c] = result.confidence[3 * k + c] }
                confidence.pixels[4 * k + 3] = 1
            }
            asset.confidence = confidence
            fromPhoto = result
        }
        return Built(asset: asset, atlas: atlas, closed: mesh.isClosed, photo: fromPhoto)
    }

    /// `scene`'s mesh as the bytes of one file in the format of `format` (an extension: "glb"),
    /// nothing written (the viewer's download). A format of several files gives its main one.
    public static func encode(
        scene: LatentScene, settings: MeshSettings, frame: MeshFrame = MeshFrame(), format: String
    ) throws -> Data {
        let name = "mesh." + format
        let exporter = try MeshExporters.exporter(for: name)
        let built = try asset(scene: scene, settings: settings, textured: textured(exporter, settings), for: name)
        return try exporter.encode(frame.apply(built.asset), for: name)[0]
    }

    /// Extracts `scene`'s mesh (its tuned decoder when it has one) and writes it to `path`.
    /// With `photo` (`LatentPhoto`), a texture takes the photo's own detail where it saw the surface.
    public static func write(
        scene: LatentScene, settings: MeshSettings, frame: MeshFrame = MeshFrame(), light: ViewLight = .canonical,
        photo: PhotoTexture.Photo? = nil, to path: String, check: Bool = false, preview: String? = nil,
        progress: ((String) -> Void)? = nil
    ) throws -> Outcome {
        let exporter = try MeshExporters.exporter(for: path)
        let t0 = Date()
        let textured = textured(exporter, settings)
        let built = try asset(
            scene: scene, settings: settings, light: light, textured: textured, photo: photo, for: path,
            progress: progress)
        let (asset, atlas, closed) = (built.asset, built.atlas, built.closed)
        let mesh = asset.mesh
        progress?("writing")
        try AtomicFile.transaction {
            try exporter.write(frame.apply(asset), to: path)
            if let preview { try PNG.write(previewSheet(asset), to: preview) }
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
            seconds: seconds, iou: iou,
            photo: built.photo.map { ($0.seenTexels, $0.mirroredTexels, $0.texelsPerPhotoPixel) })
    }
}
