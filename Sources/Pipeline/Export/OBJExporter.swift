import FileIO
import Foundation
import Geometry
import Imaging

/// Wavefront OBJ with normals and a material file beside it (`<name>.mtl`). Textured: texture
/// coordinates and the base colour as `<name>.png` (`map_Kd`). Otherwise vertex colours
/// (`v x y z r g b`, the extension MeshLab, Blender and trimesh read) under a white material, so
/// they show as they are.
enum OBJExporter: MeshExporter {
    static let fileExtension = "obj"
    public static let summary = "OBJ with normals and an MTL; a PNG texture (or vertex colours)"
    static let takesTextures = true

    /// `car.obj` → `car.<ext>`, in the folder the path names (kept relative when it is).
    static func sibling(_ path: String, _ ext: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let stem = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : name
        return String(path.dropLast(name.count)) + stem + "." + ext
    }

    static func materialPath(_ path: String) -> String { sibling(path, "mtl") }

    static func files(for path: String, textured: Bool) -> [String] {
        [path, materialPath(path)] + (textured ? [sibling(path, "png")] : [])
    }

    public static func encode(_ asset: MeshAsset, for path: String) throws -> [Data] {
        let mesh = asset.mesh, textured = asset.isTextured
        let mtl = materialPath(path)
        let hasNormals = mesh.normals.count == mesh.positions.count
        let hasColours = !textured && mesh.colours.count == mesh.positions.count
        var lines: [String] = [
            "# nerfinv mesh: metres, +y up; \(mesh.positions.count) vertices, \(mesh.triangles.count) triangles",
            "mtllib \(URL(fileURLWithPath: mtl).lastPathComponent)", "o nerfinv",
        ]
        lines.reserveCapacity(mesh.positions.count * 3 + mesh.triangles.count + 8)
        for (i, p) in mesh.positions.enumerated() {
            var line = String(format: "v %.6f %.6f %.6f", p.x, p.y, p.z)
            if hasColours {
                let c = mesh.colours[i]
                line += String(format: " %.4f %.4f %.4f", c.x, c.y, c.z)
            }
            lines.append(line)
        }
        // OBJ's v runs up from the image's bottom row; the mesh's (glTF's) runs down from the top.
        if textured { for t in mesh.uvs { lines.append(String(format: "vt %.6f %.6f", t.x, 1 - t.y)) } }
        if hasNormals {
            for n in mesh.normals { lines.append(String(format: "vn %.5f %.5f %.5f", n.x, n.y, n.z)) }
        }
        lines.append("usemtl nerfinv")
        for t in mesh.triangles {
            let corners = [t.x + 1, t.y + 1, t.z + 1].map { i -> String in
                switch (textured, hasNormals) {
                case (true, true): return "\(i)/\(i)/\(i)"
                case (true, false): return "\(i)/\(i)"
                case (false, true): return "\(i)//\(i)"
                case (false, false): return "\(i)"
                }
            }
            lines.append("f " + corners.joined(separator: " "))
        }
        let obj = Data((lines.joined(separator: "\n") + "\n").utf8)
        guard textured, let texture = asset.baseColour else {
            let material =
                "# nerfinv material: white diffuse; colour is per vertex\nnewmtl nerfinv\nKa 0 0 0\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\n"
            return [obj, Data(material.utf8)]
        }
        let png = URL(fileURLWithPath: sibling(path, "png")).lastPathComponent
        let material =
            "# nerfinv material: the base colour is the texture\nnewmtl nerfinv\nKa 0 0 0\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\nmap_Kd \(png)\n"
        return [obj, Data(material.utf8), try PNG.encode(texture)]
    }
}
