import FileIO
import Foundation
import Geometry
import Imaging

/// Binary glTF 2.0 (`.glb`): one mesh with POSITION, NORMAL and 32-bit indices, metres and +y up
/// as the format requires. Textured: TEXCOORD_0 and a material whose base colour is the embedded
/// PNG: the albedo, dielectric at `MeshAsset.albedoRoughness`, or with the light baked in, an
/// unlit material (`KHR_materials_unlit`) so a renderer shows the colours as they are. Otherwise
/// COLOR_0 (linear RGB, as glTF defines vertex colours) under a matte white material.
enum GLBExporter: MeshExporter {
    static let fileExtension = "glb"
    public static let summary = "binary glTF 2.0 with a PNG base-colour texture (or COLOR_0) and normals"
    static let takesTextures = true

    public static func encode(_ asset: MeshAsset, for path: String) throws -> [Data] {
        let mesh = asset.mesh, textured = asset.isTextured
        let V = mesh.positions.count, T = mesh.triangles.count
        let hasNormals = mesh.normals.count == V, hasColours = !textured && mesh.colours.count == V
        var bin = BinaryWriter()
        var views: [[String: Any]] = [], accessors: [[String: Any]] = []
        var attributes: [String: Int] = [:]
        func addVec3(_ values: [SIMD3<Float>], name: String, bounds: Bool) {
            let offset = bin.data.count
            for v in values {
                bin.float(v.x)
                bin.float(v.y)
                bin.float(v.z)
            }
            views.append(["buffer": 0, "byteOffset": offset, "byteLength": bin.data.count - offset, "target": 34962])
            var accessor: [String: Any] = [
                "bufferView": views.count - 1, "componentType": 5126, "count": values.count, "type": "VEC3",
            ]
            if bounds {
                let (lo, hi) = mesh.bounds
                accessor["min"] = [lo.x, lo.y, lo.z].map(Double.init)
                accessor["max"] = [hi.x, hi.y, hi.z].map(Double.init)
            }
            accessors.append(accessor)
            attributes[name] = accessors.count - 1
        }
        addVec3(mesh.positions, name: "POSITION", bounds: true)
        if hasNormals { addVec3(mesh.normals, name: "NORMAL", bounds: false) }
        if hasColours {
            addVec3(
                // glTF's COLOR_0 is linear light.
                mesh.colours.map {
                    SIMD3(ColorSpace.srgbToLinear($0.x), ColorSpace.srgbToLinear($0.y), ColorSpace.srgbToLinear($0.z))
                }, name: "COLOR_0", bounds: false)
        }
        if textured {
            let offset = bin.data.count
            for t in mesh.uvs {
                bin.float(t.x)
                bin.float(t.y)
            }
            views.append(["buffer": 0, "byteOffset": offset, "byteLength": bin.data.count - offset, "target": 34962])
            accessors.append(["bufferView": views.count - 1, "componentType": 5126, "count": V, "type": "VEC2"])
            attributes["TEXCOORD_0"] = accessors.count - 1
        }
        let offset = bin.data.count
        for t in mesh.triangles {
            bin.uint32(UInt32(t.x))
            bin.uint32(UInt32(t.y))
            bin.uint32(UInt32(t.z))
        }
        views.append(["buffer": 0, "byteOffset": offset, "byteLength": bin.data.count - offset, "target": 34963])
        accessors.append(["bufferView": views.count - 1, "componentType": 5125, "count": 3 * T, "type": "SCALAR"])
        let indices = accessors.count - 1
        var material: [String: Any] = [
            "name": "vertex colour",
            "pbrMetallicRoughness": [
                "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 1.0,
            ],
        ]
        var extra: [String: Any] = [:]
        if textured, let texture = asset.baseColour {
            let png = try PNG.encode(texture)
            bin.align4(0)
            let offset = bin.data.count
            bin.data.append(png)
            views.append(["buffer": 0, "byteOffset": offset, "byteLength": png.count])
            extra["images"] = [["bufferView": views.count - 1, "mimeType": "image/png", "name": "base colour"]]
            // Linear filtering with mipmaps; clamped, since the atlas's padding already surrounds every chart.
            extra["samplers"] = [["magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071]]
            extra["textures"] = [["sampler": 0, "source": 0]]
            material = [
                "name": asset.bakedLight ? "baked light" : "albedo",
                "pbrMetallicRoughness": [
                    "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "baseColorTexture": ["index": 0, "texCoord": 0],
                    "metallicFactor": 0.0, "roughnessFactor": asset.bakedLight ? 1.0 : MeshAsset.albedoRoughness,
                ],
            ]
            if asset.bakedLight {
                material["extensions"] = ["KHR_materials_unlit": [String: Any]()]
                extra["extensionsUsed"] = ["KHR_materials_unlit"]
            }
            if let confidence = asset.confidence {
                // A second texture no material samples: its meaning is in the material's extras.
                let png = try PNG.encode(confidence)
                bin.align4(0)
                let offset = bin.data.count
                bin.data.append(png)
                views.append(["buffer": 0, "byteOffset": offset, "byteLength": png.count])
                extra["images"] =
                    (extra["images"] as! [[String: Any]]) + [
                        ["bufferView": views.count - 1, "mimeType": "image/png", "name": "confidence"]
                    ]
                extra["textures"] = (extra["textures"] as! [[String: Any]]) + [["sampler": 0, "source": 1]]
                material["extras"] = [
                    "nerfinv_confidence": [
                        "texture": 1, "texCoord": 0,
                        "channels": [
                            "R": "seen in the input photo (weight of its pixels)",
                            "G": "mirrored from the photo's side of the object (y -> -y)",
                            "B": "inferred by the model alone",
                        ],
                    ]
                ]
            }
        }
        bin.align4(0)
        var gltf: [String: Any] = [
            "asset": ["version": "2.0", "generator": "nerfinv"],
            "scene": 0, "scenes": [["nodes": [0]]], "nodes": [["mesh": 0, "name": "nerfinv"]],
            "meshes": [
                [
                    "name": "nerfinv",
                    "primitives": [
                        ["attributes": attributes, "indices": indices, "material": 0, "mode": 4]
                    ],
                ]
            ],
            "materials": [material],
            "buffers": [["byteLength": bin.data.count]], "bufferViews": views, "accessors": accessors,
        ]
        gltf.merge(extra) { a, _ in a }
        var json = BinaryWriter()
        json.data = try JSONSerialization.data(withJSONObject: gltf, options: [.sortedKeys])
        json.align4(0x20)
        var file = BinaryWriter()
        file.uint32(0x4654_6C67)  // "glTF"
        file.uint32(2)
        file.uint32(UInt32(12 + 8 + json.data.count + 8 + bin.data.count))
        file.uint32(UInt32(json.data.count))
        file.uint32(0x4E4F_534A)  // "JSON"
        file.data.append(json.data)
        file.uint32(UInt32(bin.data.count))
        file.uint32(0x004E_4942)  // "BIN\0"
        file.data.append(bin.data)
        return [file.data]
    }
}
