import FileIO
import Foundation
import Geometry

/// Binary little-endian PLY: positions, normals, 8-bit sRGB vertex colours, triangles.
enum PLYExporter: MeshExporter {
    static let fileExtension = "ply"
    public static let summary = "binary PLY with normals and vertex colours"

    public static func encode(_ asset: MeshAsset, for path: String) throws -> [Data] {
        let mesh = asset.mesh
        let hasNormals = mesh.normals.count == mesh.positions.count
        let hasColours = mesh.colours.count == mesh.positions.count
        var w = BinaryWriter()
        w.text("ply\nformat binary_little_endian 1.0\ncomment nerfinv mesh: metres, +y up\n")
        w.text("element vertex \(mesh.positions.count)\nproperty float x\nproperty float y\nproperty float z\n")
        if hasNormals { w.text("property float nx\nproperty float ny\nproperty float nz\n") }
        if hasColours { w.text("property uchar red\nproperty uchar green\nproperty uchar blue\n") }
        w.text("element face \(mesh.triangles.count)\nproperty list uchar int vertex_indices\nend_header\n")
        for (i, p) in mesh.positions.enumerated() {
            w.float(p.x)
            w.float(p.y)
            w.float(p.z)
            if hasNormals {
                let n = mesh.normals[i]
                w.float(n.x)
                w.float(n.y)
                w.float(n.z)
            }
            if hasColours {
                let c = mesh.colours[i]
                w.uint8(byte(c.x))
                w.uint8(byte(c.y))
                w.uint8(byte(c.z))
            }
        }
        for t in mesh.triangles {
            w.uint8(3)
            w.int32(t.x)
            w.int32(t.y)
            w.int32(t.z)
        }
        return [w.data]
    }
}
