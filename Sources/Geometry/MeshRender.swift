import Foundation

// H W image size.

/// A shaded picture of a mesh (z-buffered triangles, vertex colours or a texture interpolated,
/// Lambert shading from a directional light plus ambient, on white): what an exported mesh looks
/// like in a viewer.
public enum MeshRender {
    /// A texture for `render`: RGBA floats (TH, TW, 4), row 0 at the top (glTF's v = 0).
    public struct Texture {
        public var pixels: [Float]
        public var width: Int
        public var height: Int
        public init(pixels: [Float], width: Int, height: Int) {
            self.pixels = pixels
            self.width = width
            self.height = height
        }
        /// Bilinear RGB at texture coordinates (u, v).
        public func sample(_ uv: SIMD2<Float>) -> SIMD3<Float> {
            let x = min(max(uv.x * Float(width) - 0.5, 0), Float(width - 1))
            let y = min(max(uv.y * Float(height) - 0.5, 0), Float(height - 1))
            let i = min(Int(x), width - 1), j = min(Int(y), height - 1)
            let i1 = min(i + 1, width - 1), j1 = min(j + 1, height - 1)
            let a = x - Float(i), b = y - Float(j)
            func px(_ u: Int, _ v: Int) -> SIMD3<Float> {
                let k = 4 * (v * width + u)
                return SIMD3(pixels[k], pixels[k + 1], pixels[k + 2])
            }
            return (1 - b) * ((1 - a) * px(i, j) + a * px(i1, j)) + b * ((1 - a) * px(i, j1) + a * px(i1, j1))
        }
    }

    /// RGB (H, W, 3) in 0...1 of `mesh` (world frame) seen by `camera`, lit from `light` (unit,
    /// towards the light); with `texture` (and the mesh's uvs) its colour instead of the vertices',
    /// shown as it is when `unlit`.
    public static func render(
        _ mesh: TriangleMesh, camera: Camera, light: SIMD3<Float>, ambient: Float = 0.35, texture: Texture? = nil,
        unlit: Bool = false
    ) -> [Float] {
        let W = camera.intrinsics.width, H = camera.intrinsics.height
        var rgb = [Float](repeating: 1, count: W * H * 3)
        var depth = [Double](repeating: .infinity, count: W * H)
        let projected = mesh.positions.map { camera.project(SIMD3(Double($0.x), Double($0.y), Double($0.z))) }
        let hasColours = mesh.colours.count == mesh.positions.count
        let textured = texture != nil && mesh.uvs.count == mesh.positions.count
        let hasNormals = mesh.normals.count == mesh.positions.count
        for t in mesh.triangles {
            let ids = [Int(t.x), Int(t.y), Int(t.z)]
            let p = ids.map { projected[$0] }
            guard p.allSatisfy({ $0.depth > 0 }) else { continue }
            let area = (p[1].x - p[0].x) * (p[2].y - p[0].y) - (p[1].y - p[0].y) * (p[2].x - p[0].x)
            guard abs(area) > 1e-12 else { continue }
            let face = cross(
                mesh.positions[ids[1]] - mesh.positions[ids[0]], mesh.positions[ids[2]] - mesh.positions[ids[0]])
            let x0 = max(0, Int(floor(p.map(\.x).min()!))), x1 = min(W - 1, Int(ceil(p.map(\.x).max()!)))
            let y0 = max(0, Int(floor(p.map(\.y).min()!))), y1 = min(H - 1, Int(ceil(p.map(\.y).max()!)))
            guard x0 <= x1, y0 <= y1 else { continue }
            for j in y0...y1 {
                for i in x0...x1 {
                    let px = Double(i) + 0.5, py = Double(j) + 0.5
                    let w0 = ((p[1].x - px) * (p[2].y - py) - (p[1].y - py) * (p[2].x - px)) / area
                    let w1 = ((p[2].x - px) * (p[0].y - py) - (p[2].y - py) * (p[0].x - px)) / area
                    let w2 = 1 - w0 - w1
                    guard w0 >= 0, w1 >= 0, w2 >= 0 else { continue }
                    let z = w0 * p[0].depth + w1 * p[1].depth + w2 * p[2].depth
                    guard z < depth[j * W + i] else { continue }
                    depth[j * W + i] = z
                    let w = [Float(w0), Float(w1), Float(w2)]
                    var n = hasNormals ? (0..<3).reduce(SIMD3<Float>.zero) { $0 + w[$1] * mesh.normals[ids[$1]] } : face
                    n /= max(1e-12, (n * n).sum().squareRoot())
                    // Screen-space weights: the previews' triangles are a few pixels across.
                    let c =
                        textured
                        ? texture!.sample((0..<3).reduce(SIMD2<Float>.zero) { $0 + w[$1] * mesh.uvs[ids[$1]] })
                        : hasColours
                            ? (0..<3).reduce(SIMD3<Float>.zero) { $0 + w[$1] * mesh.colours[ids[$1]] }
                            : SIMD3(repeating: 0.8)
                    let shade = unlit ? 1 : ambient + (1 - ambient) * max(0, (n * light).sum())
                    for k in 0..<3 { rgb[(j * W + i) * 3 + k] = min(1, c[k] * shade) }
                }
            }
        }
        return rgb
    }
}
