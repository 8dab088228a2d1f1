import FileIO
import Foundation
import Geometry
import Imaging

/// What an exporter writes: a mesh in the export frame and, when it has texture coordinates, its
/// base-colour texture (sRGB, row 0 at the top, as glTF reads images).
public struct MeshAsset {
    public var mesh: TriangleMesh
    public var baseColour: RGBAImage?
    /// The texture holds the colour under a light (to be shown unlit) rather than the albedo.
    public var bakedLight = false
    /// Where each texel's colour came from, as RGB weights: R the photo seen directly, G the photo
    /// mirrored from the other side, B the model alone (`PhotoTexture`); nil without a photo.
    public var confidence: RGBAImage?
    public init(mesh: TriangleMesh, baseColour: RGBAImage? = nil, bakedLight: Bool = false) {
        self.mesh = mesh
        self.baseColour = baseColour
        self.bakedLight = bakedLight
    }

    /// The roughness an albedo texture's material states. The lit head has a highlight term but no
    /// roughness to read, so this is a constant: 0.5 looks like the satin paint of the training
    /// cars under a studio light.
    public static let albedoRoughness = 0.5
    /// Whether the asset carries a texture (and the mesh its coordinates).
    public var isTextured: Bool { baseColour != nil && mesh.uvs.count == mesh.positions.count }
}

/// A mesh file format. A new format is one type conforming to this and one line in `MeshExporters`.
public protocol MeshExporter {
    /// The file extension that selects it (lower case, no dot).
    static var fileExtension: String { get }
    static var summary: String { get }
    /// Whether it writes a texture (else the vertex colours).
    static var takesTextures: Bool { get }
    /// Every file the mesh takes at `path`, the main one first (OBJ's material and texture sit beside it).
    static func files(for path: String, textured: Bool) -> [String]
    /// The bytes of each of `files(for: path, textured:)`, in that order, of an asset already in
    /// the export frame (`MeshFrame`); `path` only names them (OBJ refers to its material by name).
    static func encode(_ asset: MeshAsset, for path: String) throws -> [Data]
}

extension MeshExporter {
    static var takesTextures: Bool { false }
    static func files(for path: String, textured: Bool) -> [String] { [path] }

    /// Writes the asset's files as one transaction.
    public static func write(_ asset: MeshAsset, to path: String) throws {
        let data = try encode(asset, for: path)
        try AtomicFile.transaction {
            for (file, bytes) in zip(files(for: path, textured: asset.isTextured), data) {
                try AtomicFile.write(bytes, to: file)
            }
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

    func apply(_ asset: MeshAsset) -> MeshAsset {
        var moved = asset
        moved.mesh = apply(asset.mesh)
        return moved
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
