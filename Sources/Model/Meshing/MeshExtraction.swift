import Datasets
import FileIO
import Foundation
import Geometry
import NeuralCore

// A latent's density field as a triangle mesh. R fine cells per axis (R + 1 lattice vertices),
// C = R / 4 coarse cells, V mesh vertices.

/// How `export-mesh` turns a field into a mesh.
public struct MeshSettings: Settings, Sendable, Equatable {
    /// Marching-cubes cells per axis of the box (a multiple of 4).
    public var resolution = 256
    /// Density of the surface (nil: `MeshExtraction.defaultThreshold`).
    public var threshold: Float? = nil
    /// Components with fewer than this fraction of the triangles are floaters, removed.
    public var minComponentFraction = 0.02
    /// Simplify to at most this many triangles (nil: keep all, or `texturedTriangles` when textured).
    public var maxTriangles: Int? = nil
    /// Side of the base-colour texture GLB and OBJ carry, texels (0: vertex colours instead).
    public var textureSize = 1024
    /// The texture holds the colour under the light (today's look) instead of the albedo.
    public var bakedLight = false
    /// Where the input photo saw the surface (or its mirror), the texture takes the photo's detail.
    public var photoDetail = true
    /// The triangle budget of a textured mesh when `maxTriangles` sets none: a texture carries the
    /// detail, so the surface need not (a 256-cell mesh has about 400k triangles).
    public var texturedTriangles = 50000
    public init() {}

    /// Marching-cubes cell size in the field's box units.
    public func spacing(for spec: FieldSpec) -> Float { 2 * Float(spec.box) / Float(resolution) }

    /// The surface's density for a field: the set threshold, or the field's default.
    public func threshold(for spec: FieldSpec) -> Float { threshold ?? MeshExtraction.defaultThreshold(spec) }

    public static let keys: [SettingKey<MeshSettings>] = [
        .init("resolution", \.resolution, flag: "--resolution") {
            (16...1024).contains($0) && $0 % 4 == 0 ? nil : "must be a multiple of 4 in 16...1024"
        },
        .init("threshold", \.threshold, flag: "--threshold") { t in
            t.map { $0.isFinite && $0 > 0 } ?? true ? nil : "must be a positive density"
        },
        .init("minComponentFraction", \.minComponentFraction, in: 0...1, flag: "--min-component"),
        .init("maxTriangles", \.maxTriangles, flag: "--max-faces") {
            ($0 ?? 4) >= 4 ? nil : "must allow at least 4 triangles"
        },
        .init("textureSize", \.textureSize, flag: "--texture-size") {
            $0 == 0 || ((64...4096).contains($0) && $0 & ($0 - 1) == 0)
                ? nil : "must be 0 (vertex colours) or a power of two in 64...4096"
        },
        .init("texturedTriangles", \.texturedTriangles, in: 4...10_000_000),
        .init("bakedLight", \.bakedLight, flag: "--baked-light"),
        .init("photoDetail", \.photoDetail, flag: "--no-photo-detail"),
    ]
}

/// Marching cubes on a latent's density, coarse to fine, with normals and colours from the field.
public enum MeshExtraction {
    /// Points per field query (bounds the query buffers to a few tens of MB).
    static let chunk = 65536

    /// The density at which a layer `surfaceLayerSamples` render samples thick turns half opaque:
    /// σ = ln 2 / (k δ), δ = 2 · box / samplesPerRay the spacing of samples along a ray through the
    /// box. A silhouette ray grazes the object, so its opacity builds up over those samples.
    public static func defaultThreshold(_ spec: FieldSpec) -> Float {
        Float(log(2.0) / (spec.config.surfaceLayerSamples * 2 * spec.box / Double(spec.samplesPerRay)))
    }

    /// Density (N) and colour (N, 3) of one object's state at points (N, 3), `chunk` at a time;
    /// each point seen from `towards` (a direction to the camera per point, or nil: from the light).
    static func query(
        field: any RadianceField, state: Tensor, points: [SIMD3<Float>], towards: [SIMD3<Float>]? = nil,
        light: ViewLight, albedo: Bool = false
    ) -> (sigma: [Float], rgb: [SIMD3<Float>]) {
        let flat = points.flatMap { [$0.x, $0.y, $0.z] }  // (N, 3)
        let (sigma, rgb) = flat.withUnsafeBufferPointer {
            field.query(
                state: state.data, points: $0.baseAddress!, count: points.count, chunk: chunk, light: light,
                towards: towards.map { t in { t[$0] } }, albedo: albedo)
        }
        return (sigma, (0..<points.count).map { SIMD3(rgb[3 * $0], rgb[3 * $0 + 1], rgb[3 * $0 + 2]) })
    }

    /// The mesh of `code` in the field's box (world frame, box units): densities on a coarse
    /// lattice find the cells the surface can cross; only those (and their neighbours) are queried
    /// at full resolution, the rest interpolated from the coarse lattice (their sign is certain).
    /// `progress(stage)` names each stage as it starts.
    public static func extract(
        field: any RadianceField, code: [Float], settings: MeshSettings, light: ViewLight = .canonical,
        progress: ((String) -> Void)? = nil
    ) -> TriangleMesh {
        precondition(settings.firstProblem == nil, settings.firstProblem?.description ?? "")
        let R = settings.resolution, C = R / 4, F = R + 1, box = Float(field.spec.box)
        let iso = settings.threshold(for: field.spec)
        let state = field.state(of: code)
        func position(_ x: Int, _ y: Int, _ z: Int, cells: Int) -> SIMD3<Float> {
            (SIMD3(Float(x), Float(y), Float(z)) / Float(cells) * 2 - 1) * box
        }
        progress?("coarse density")
        let Cv = C + 1
        var coarsePoints: [SIMD3<Float>] = []
        coarsePoints.reserveCapacity(Cv * Cv * Cv)
        for x in 0..<Cv { for y in 0..<Cv { for z in 0..<Cv { coarsePoints.append(position(x, y, z, cells: C)) } } }
        let coarse = query(field: field, state: state, points: coarsePoints, light: light).sigma
        // Coarse cells the surface may cross (corners on both sides), grown by one cell: a thin
        // part between coarse vertices still shows as a sign change nearby.
        var crossing = [Bool](repeating: false, count: C * C * C)
        for x in 0..<C {
            for y in 0..<C {
                for z in 0..<C {
                    var above = 0
                    for c in 0..<8
                    where coarse[((x + (c & 1)) * Cv + y + ((c >> 1) & 1)) * Cv + z + ((c >> 2) & 1)] >= iso {
                        above += 1
                    }
                    crossing[(x * C + y) * C + z] = above != 0 && above != 8
                }
            }
        }
        var active = crossing
        for x in 0..<C {
            for y in 0..<C {
                for z in 0..<C where crossing[(x * C + y) * C + z] {
                    for i in max(0, x - 1)...min(C - 1, x + 1) {
                        for j in max(0, y - 1)...min(C - 1, y + 1) {
                            for k in max(0, z - 1)...min(C - 1, z + 1) { active[(i * C + j) * C + k] = true }
                        }
                    }
                }
            }
        }
        progress?("fine density")
        // Fine lattice: interpolated from the coarse one, then the active cells' vertices queried.
        var fine = [Float](repeating: 0, count: F * F * F)
        for x in 0..<F {
            let cx = min(C - 1, x / 4), fx = Float(x - 4 * cx) / 4
            for y in 0..<F {
                let cy = min(C - 1, y / 4), fy = Float(y - 4 * cy) / 4
                for z in 0..<F {
                    let cz = min(C - 1, z / 4), fz = Float(z - 4 * cz) / 4
                    var v: Float = 0
                    for c in 0..<8 {
                        let (a, b, d) = (c & 1, (c >> 1) & 1, (c >> 2) & 1)
                        let w = (a == 1 ? fx : 1 - fx) * (b == 1 ? fy : 1 - fy) * (d == 1 ? fz : 1 - fz)
                        v += w * coarse[((cx + a) * Cv + cy + b) * Cv + cz + d]
                    }
                    fine[(x * F + y) * F + z] = v
                }
            }
        }
        var wanted = [Bool](repeating: false, count: F * F * F)
        for x in 0..<C {
            for y in 0..<C {
                for z in 0..<C where active[(x * C + y) * C + z] {
                    for i in (4 * x)...(4 * x + 4) {
                        for j in (4 * y)...(4 * y + 4) {
                            for k in (4 * z)...(4 * z + 4) { wanted[(i * F + j) * F + k] = true }
                        }
                    }
                }
            }
        }
        var indices: [Int] = [], points: [SIMD3<Float>] = []
        for i in 0..<wanted.count where wanted[i] {
            indices.append(i)
            points.append(position(i / (F * F), (i / F) % F, i % F, cells: R))
        }
        let sampled = query(field: field, state: state, points: points, light: light).sigma
        for (n, i) in indices.enumerated() { fine[i] = sampled[n] }
        // Outside the box there is nothing: a border below the threshold closes the surface where
        // the object touches the box.
        for x in 0..<F {
            for y in 0..<F {
                for z in 0..<F where x == 0 || y == 0 || z == 0 || x == R || y == R || z == R {
                    fine[(x * F + y) * F + z] = min(fine[(x * F + y) * F + z], 0)
                }
            }
        }
        progress?("marching cubes")
        let spacing = 2 * box / Float(R)
        var mesh = fine.withUnsafeBufferPointer {
            MarchingCubes.extract(
                values: $0.baseAddress!, X: F, Y: F, Z: F, iso: iso, origin: SIMD3(repeating: -box), spacing: spacing)
        }
        mesh = mesh.keepingComponents(largerThan: settings.minComponentFraction)
        if let budget = settings.maxTriangles, mesh.triangles.count > budget {
            progress?("simplifying")
            mesh = MeshSimplification.simplify(mesh, maxTriangles: budget)
        }
        progress?("normals and colours")
        // Normals: the density's falling direction, from the fine lattice's central differences
        // interpolated at each vertex.
        func value(_ x: Int, _ y: Int, _ z: Int) -> Float {
            fine[(min(max(x, 0), R) * F + min(max(y, 0), R)) * F + min(max(z, 0), R)]
        }
        mesh.normals = mesh.positions.map { p in
            let u = (p / box + 1) / 2 * Float(R)
            let x = min(R - 1, max(0, Int(u.x))), y = min(R - 1, max(0, Int(u.y))), z = min(R - 1, max(0, Int(u.z)))
            let f = u - SIMD3(Float(x), Float(y), Float(z))
            var g = SIMD3<Float>.zero
            for c in 0..<8 {
                let (a, b, d) = (c & 1, (c >> 1) & 1, (c >> 2) & 1)
                let w = (a == 1 ? f.x : 1 - f.x) * (b == 1 ? f.y : 1 - f.y) * (d == 1 ? f.z : 1 - f.z)
                let (i, j, k) = (x + a, y + b, z + d)
                g +=
                    w
                    * SIMD3(
                        value(i + 1, j, k) - value(i - 1, j, k), value(i, j + 1, k) - value(i, j - 1, k),
                        value(i, j, k + 1) - value(i, j, k - 1))
            }
            let n = -g
            let length = (n * n).sum().squareRoot()
            return length > 0 ? n / length : SIMD3(0, 0, 1)
        }
        // Colours: the field's colour a little inside the surface (the density there is the
        // object's), seen head-on along the normal, under `light`.
        let inside = mesh.positions.indices.map { mesh.positions[$0] - 0.5 * spacing * mesh.normals[$0] }
        mesh.colours = query(field: field, state: state, points: inside, towards: mesh.normals, light: light).rgb
            .map { pointwiseMin(pointwiseMax($0, .zero), .one) }
        return mesh
    }
}

extension MeshExtraction {
    /// How well a mesh (world frame) stands for the field: the IoU of its silhouette with the
    /// field's rendered alpha (> 0.5) at the test protocol's views, at `size` pixels; mean and worst.
    public static func silhouetteIoU(
        _ mesh: TriangleMesh, field: any RadianceField, code: [Float], light: ViewLight = .canonical, size: Int = 128
    ) -> (mean: Double, worst: Double) {
        let renderer = FieldRenderer(field: field, code: code)
        renderer.light = light
        var scores: [Double] = []
        for v in Rig.testViews {
            let camera = Rig.camera(azimuth: v.azimuth, elevation: v.elevation, width: size, height: size)
            let alpha = renderer.render(camera: camera).image
            let nerf = (0..<(size * size)).map { alpha.pixels[4 * $0 + 3] > 0.5 }
            scores.append(Silhouette.iou(Silhouette.render(mesh, camera: camera), nerf))
        }
        return (scores.reduce(0, +) / Double(scores.count), scores.min() ?? 0)
    }
}
