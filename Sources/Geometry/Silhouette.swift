import Foundation

// H W image size.

/// Which pixels a mesh covers seen from a camera: every triangle in front of the camera filled
/// at pixel centres (edge functions). Used to check an exported mesh against the field's alpha.
public enum Silhouette {
    /// Coverage (H, W), row-major, of `mesh` (in the world frame) seen by `camera`.
    public static func render(_ mesh: TriangleMesh, camera: Camera) -> [Bool] {
        let W = camera.intrinsics.width, H = camera.intrinsics.height
        var covered = [Bool](repeating: false, count: W * H)
        let projected = mesh.positions.map { p -> (x: Double, y: Double, depth: Double) in
            camera.project(SIMD3(Double(p.x), Double(p.y), Double(p.z)))
        }
        for t in mesh.triangles {
            let a = projected[Int(t.x)], b = projected[Int(t.y)], c = projected[Int(t.z)]
            guard a.depth > 0, b.depth > 0, c.depth > 0 else { continue }
            let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
            guard area != 0 else { continue }
            let x0 = max(0, Int(floor(min(a.x, b.x, c.x)))), x1 = min(W - 1, Int(ceil(max(a.x, b.x, c.x))))
            let y0 = max(0, Int(floor(min(a.y, b.y, c.y)))), y1 = min(H - 1, Int(ceil(max(a.y, b.y, c.y))))
            guard x0 <= x1, y0 <= y1 else { continue }
            for j in y0...y1 {
                let py = Double(j) + 0.5
                for i in x0...x1 {
                    let px = Double(i) + 0.5
                    let w0 = (b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)
                    let w1 = (c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)
                    let w2 = (a.x - px) * (b.y - py) - (a.y - py) * (b.x - px)
                    // Inside whichever way the triangle winds on screen.
                    if (w0 >= 0 && w1 >= 0 && w2 >= 0) || (w0 <= 0 && w1 <= 0 && w2 <= 0) { covered[j * W + i] = true }
                }
            }
        }
        return covered
    }

    /// Intersection over union of two masks of one size.
    public static func iou(_ a: [Bool], _ b: [Bool]) -> Double {
        precondition(a.count == b.count, "masks of one size")
        var both = 0, either = 0
        for k in a.indices {
            if a[k] && b[k] { both += 1 }
            if a[k] || b[k] { either += 1 }
        }
        return either == 0 ? 1 : Double(both) / Double(either)
    }
}
