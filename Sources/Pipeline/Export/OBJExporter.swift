import FileIO
import Foundation
import Geometry

/// Wavefront OBJ with vertex colours (`v x y z r g b`, the extension MeshLab, Blender and trimesh
/// read), normals, and a material file beside it (`<name>.mtl`, a white diffuse material so the
/// vertex colours show as they are).
enum OBJExporter: MeshExporter {
    static let fileExtension = "obj"
    public static let summary = "OBJ with vertex colours and normals, plus an MTL"

    /// `car.obj` → `car.mtl`, in the folder the path names (kept relative when it is).
    static func materialPath(_ path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let stem = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : name
        return String(path.dropLast(name.count)) + stem + ".mtl"
    }

    static func files(for path: String) -> [String] { [path, materialPath(path)] }

    public static func encode(_ mesh: TriangleMesh, for path: String) throws -> [Data] {
        let mtl = materialPath(path)
        let hasNormals = mesh.normals.count == mesh.positions.count
        let hasColours = mesh.colours.count == mesh.positions.count
        var lines: [String] = [
            "# nerfinv mesh: metres, +y up; \(mesh.positions.count) vertices, \(mesh.triangles.count) triangles",
            "mtllib \(URL(fileURLWithPath: mtl).lastPathComponent)", "o nerfinv",
        ]
        lines.reserveCapacity(mesh.positions.count * 2 + mesh.triangles.count + 8)
        for (i, p) in mesh.positions.enumerated() {
            var line = String(format: "v %.6f %.6f %.6f", p.x, p.y, p.z)
            if hasColours {
                let c = mesh.colours[i]
                line += String(format: " %.4f %.4f %.4f", c.x, c.y, c.z)
            }
            lines.append(line)
        }
        if hasNormals {
            for n in mesh.normals { lines.append(String(format: "vn %.5f %.5f %.5f", n.x, n.y, n.z)) }
        }
        lines.append("usemtl nerfinv")
        for t in mesh.triangles {
            let (a, b, c) = (t.x + 1, t.y + 1, t.z + 1)
            lines.append(hasNormals ? "f \(a)//\(a) \(b)//\(b) \(c)//\(c)" : "f \(a) \(b) \(c)")
        }
        let material =
            "# nerfinv material: white diffuse; colour is per vertex\nnewmtl nerfinv\nKa 0 0 0\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\n"
        return [Data((lines.joined(separator: "\n") + "\n").utf8), Data(material.utf8)]
    }
}
