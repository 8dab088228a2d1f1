import FileIO
import Foundation
import Geometry

/// A mesh file format. A new format is one type conforming to this and one line in `MeshExporters`.
public protocol MeshExporter {
    /// The file extension that selects it (lower case, no dot).
    static var fileExtension: String { get }
    static var summary: String { get }
    /// Every file the mesh takes at `path`, the main one first (OBJ's material file sits beside it).
    static func files(for path: String) -> [String]
    /// The bytes of each of `files(for: path)`, in that order, of a mesh already in the export
    /// frame (`MeshFrame`); `path` only names them (OBJ refers to its material by name).
    static func encode(_ mesh: TriangleMesh, for path: String) throws -> [Data]
}

extension MeshExporter {
    static func files(for path: String) -> [String] { [path] }

    /// Writes the mesh's files as one transaction.
    public static func write(_ mesh: TriangleMesh, to path: String) throws {
        let data = try encode(mesh, for: path)
        try AtomicFile.transaction {
            for (file, bytes) in zip(files(for: path), data) { try AtomicFile.write(bytes, to: file) }
        }
    }
}

/// The mesh formats `export-mesh` writes, by extension.
public enum MeshExporters {
    static let all: [any MeshExporter.Type] = [PLYExporter.self, OBJExporter.self, GLBExporter.self]

    /// The exporter for a path's extension, or an error listing the ones there are.
    public static func exporter(for path: String) throws -> any MeshExporter.Type {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let e = all.first(where: { $0.fileExtension == ext }) else {
            throw FileError(
                path: path,
                reason: "has no mesh format's extension; use "
                    + all.map { ".\($0.fileExtension)" }.joined(separator: ", "))
        }
        return e
    }
}

/// The frame meshes are written in: metres, +y up (glTF's convention, which most viewers assume
/// for every format), right-handed. The rig's world is +z up in box units (a car is about two
/// units long), so (x, y, z) becomes metresPerUnit · (x, z, -y): the car's front stays +x.
public struct MeshFrame: Sendable {
    var metresPerUnit: Float
    public init(metresPerUnit: Float = MeshFrame.carMetresPerUnit) { self.metresPerUnit = metresPerUnit }
    /// A car of the rig's box (length about 2 units) becomes about 4.5 m long.
    public static let carMetresPerUnit: Float = 2.25

    func apply(_ mesh: TriangleMesh) -> TriangleMesh {
        let s = metresPerUnit
        return mesh.transformed({ s * SIMD3($0.x, $0.z, -$0.y) }, rotate: { SIMD3($0.x, $0.z, -$0.y) })
    }
}

/// Little-endian binary buffers for the writers.
struct BinaryWriter {
    var data = Data()
    mutating func float(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func int32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func uint8(_ v: UInt8) { data.append(v) }
    mutating func text(_ s: String) { data.append(contentsOf: Array(s.utf8)) }
    /// Pads with `byte` to a multiple of 4.
    mutating func align4(_ byte: UInt8) { while data.count % 4 != 0 { data.append(byte) } }
}

/// An sRGB colour in 0...1 as an 8-bit value.
func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
