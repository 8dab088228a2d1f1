import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// A base-colour texture for an atlased mesh. S the texture's side, N texels the charts cover.

/// Fills a mesh's UV atlas with the field's colour: every texel whose centre lies in a triangle
/// takes the field's colour at the matching surface point (a little inside, seen head-on along
/// the interpolated normal, under `light`, as the vertex colours are), then the charts' padding
/// is grown from their edges so that bilinear filtering and mipmaps never reach the empty atlas.
public enum TextureBake {
    /// What a bake made: the texture (sRGB, opaque) and which texels a triangle covers.
    public struct Result {
        public var image: RGBAImage
        public var covered: [Bool]  // (S, S)
        public var coveredTexels: Int { covered.filter { $0 }.count }
        /// Each covered texel's index in the image (y S + x), surface point and unit normal.
        public var index: [Int]  // (N)
        public var points: [SIMD3<Float>]  // (N)
        public var normals: [SIMD3<Float>]  // (N)
    }

    /// Rings of texels grown around the charts (the atlas's padding is 2; mipmaps reach further,
    /// and the rest of the atlas takes the mean colour).
    static let dilationRings = 4

    /// The surface point and normal behind every covered texel of `mesh`'s atlas (S x S).
    static func texels(of mesh: TriangleMesh, size S: Int) -> (
        index: [Int], points: [SIMD3<Float>], normals: [SIMD3<Float>]
    ) {
        var owner = [Int32](repeating: -1, count: S * S)
        var index: [Int] = [], points: [SIMD3<Float>] = [], normals: [SIMD3<Float>] = []
        let hasNormals = mesh.normals.count == mesh.positions.count
        for (t, tri) in mesh.triangles.enumerated() {
            let ids = [Int(tri.x), Int(tri.y), Int(tri.z)]
            let q = ids.map { mesh.uvs[$0] * Float(S) }
            let lo = pointwiseMin(q[0], pointwiseMin(q[1], q[2])), hi = pointwiseMax(q[0], pointwiseMax(q[1], q[2]))
            let area = (q[1].x - q[0].x) * (q[2].y - q[0].y) - (q[1].y - q[0].y) * (q[2].x - q[0].x)
            guard abs(area) > 1e-12 else { continue }
            let x0 = max(0, Int(lo.x.rounded(.down))), x1 = min(S - 1, Int(hi.x.rounded(.up)))
            let y0 = max(0, Int(lo.y.rounded(.down))), y1 = min(S - 1, Int(hi.y.rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let face = cross(
                mesh.positions[ids[1]] - mesh.positions[ids[0]], mesh.positions[ids[2]] - mesh.positions[ids[0]])
            for y in y0...y1 {
                for x in x0...x1 where owner[y * S + x] < 0 {
                    let c = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                    // Barycentric coordinates of the texel centre (a small tolerance keeps shared edges covered).
                    let w1 = ((c.x - q[0].x) * (q[2].y - q[0].y) - (c.y - q[0].y) * (q[2].x - q[0].x)) / area
                    let w2 = ((q[1].x - q[0].x) * (c.y - q[0].y) - (q[1].y - q[0].y) * (c.x - q[0].x)) / area
                    let w0 = 1 - w1 - w2
                    let tolerance: Float = -1e-4
                    guard w0 >= tolerance, w1 >= tolerance, w2 >= tolerance else { continue }
                    owner[y * S + x] = Int32(t)
                    index.append(y * S + x)
                    points.append(
                        w0 * mesh.positions[ids[0]] + w1 * mesh.positions[ids[1]] + w2 * mesh.positions[ids[2]])
                    var n =
                        hasNormals
                        ? w0 * mesh.normals[ids[0]] + w1 * mesh.normals[ids[1]] + w2 * mesh.normals[ids[2]] : face
                    let length = (n * n).sum().squareRoot()
                    n = length > 0 ? n / length : SIMD3(0, 0, 1)
                    normals.append(n)
                }
            }
        }
        return (index, points, normals)
    }

    /// The field's albedo, or with `bakedLight` its colour under `light` seen head-on, over
    /// `mesh`'s atlas (world frame, box units; `uvs` set), S x S texels; `inset` is how far inside
    /// the surface the colour is read (half a marching-cubes cell).
    public static func bake(
        mesh: TriangleMesh, field: any RadianceField, code: [Float], size S: Int, inset: Float,
        light: ViewLight = .canonical, bakedLight: Bool = false
    ) -> Result {
        let state = field.state(of: code)
        return bake(mesh: mesh, size: S) { points, normals in
            let inside = points.indices.map { points[$0] - inset * normals[$0] }
            return MeshExtraction.query(
                field: field, state: state, points: inside, towards: normals, light: light, albedo: !bakedLight
            ).rgb
        }
    }

    /// `colour(points, normals)` (sRGB 0...1 per surface point, clamped) over `mesh`'s atlas, S x S texels.
    public static func bake(
        mesh: TriangleMesh, size S: Int, colour: ([SIMD3<Float>], [SIMD3<Float>]) -> [SIMD3<Float>]
    ) -> Result {
        precondition(mesh.uvs.count == mesh.positions.count, "bake needs a mesh with texture coordinates")
        let (index, points, normals) = texels(of: mesh, size: S)
        let rgb = colour(points, normals)
        var image = RGBAImage(width: S, height: S)
        var covered = [Bool](repeating: false, count: S * S)
        for (n, k) in index.enumerated() {
            let c = pointwiseMin(pointwiseMax(rgb[n], .zero), .one)
            for j in 0..<3 { image.pixels[4 * k + j] = c[j] }
            image.pixels[4 * k + 3] = 1
            covered[k] = true
        }
        dilate(&image, filled: covered, rings: dilationRings)
        return Result(image: image, covered: covered, index: index, points: points, normals: normals)
    }

    /// Grows the filled texels outwards `rings` times (each empty texel with filled 8-neighbours takes
    /// their mean), then gives every texel still empty the filled ones' mean colour.
    static func dilate(_ image: inout RGBAImage, filled start: [Bool], rings: Int) {
        let W = image.width, H = image.height
        var filled = start
        for _ in 0..<rings {
            var next = filled
            var grown = image.pixels
            for y in 0..<H {
                for x in 0..<W where !filled[y * W + x] {
                    var sum = SIMD3<Float>.zero, n: Float = 0
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let (u, v) = (x + dx, y + dy)
                            guard u >= 0, v >= 0, u < W, v < H, filled[v * W + u] else { continue }
                            let k = 4 * (v * W + u)
                            sum += SIMD3(image.pixels[k], image.pixels[k + 1], image.pixels[k + 2])
                            n += 1
                        }
                    }
                    guard n > 0 else { continue }
                    let k = 4 * (y * W + x)
                    for j in 0..<3 { grown[k + j] = sum[j] / n }
                    grown[k + 3] = 1
                    next[y * W + x] = true
                }
            }
            image.pixels = grown
            filled = next
        }
        var mean = SIMD3<Float>.zero, count: Float = 0
        for k in 0..<(W * H) where start[k] {
            mean += SIMD3(image.pixels[4 * k], image.pixels[4 * k + 1], image.pixels[4 * k + 2])
            count += 1
        }
        if count > 0 { mean /= count }
        for k in 0..<(W * H) where !filled[k] {
            for j in 0..<3 { image.pixels[4 * k + j] = mean[j] }
            image.pixels[4 * k + 3] = 1
        }
    }
}
