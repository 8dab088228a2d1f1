import FileIO
import Foundation
import NeuralCore

/// One layer's residual in a latent file: the layer's name and shape, and its values as
/// little-endian fp16, base64 (a 128x128 plane residual is 1.5 MB of fp16, where JSON numbers
/// would take five times that).
public struct LatentLayerEntry: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var fp16: String

    /// The entry of a residual (rounded to fp16 as the file stores it).
    public init(_ residual: LayerResidual, shape: [Int]) {
        name = residual.name
        self.shape = shape
        var bytes = Data(capacity: 2 * residual.values.count)
        for v in residual.values {
            let bits = Float16(v).bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        fp16 = bytes.base64EncodedString()
    }

    /// The entries of residuals on `field`'s layers.
    public static func entries(_ residuals: [LayerResidual], field: any RadianceField) throws -> [LatentLayerEntry] {
        guard let generator = field as? any LayeredGenerator else {
            throw ModelError("a \(field.spec.kind) field has no latent layers")
        }
        return try residuals.map { r in
            LatentLayerEntry(r, shape: generator.latentLayers[try generator.layerIndex(named: r.name)].shape)
        }
    }

    /// The residuals of a latent file's entries, checked against `field`'s layers: each names a
    /// layer once, with its shape and a finite value for each of its floats.
    public static func residuals(_ entries: [LatentLayerEntry], for field: any RadianceField, path: String) throws
        -> [LayerResidual]
    {
        guard let generator = field as? any LayeredGenerator else {
            throw FileError(
                path: path, reason: "has layer residuals, but the model's \(field.spec.kind) field has no layers")
        }
        let layers = generator.latentLayers
        guard Set(entries.map(\.name)).count == entries.count else {
            throw FileError(path: path, reason: "names a layer twice in its layers")
        }
        return try entries.map { e in
            guard let layer = layers.first(where: { $0.name == e.name }) else {
                throw FileError(
                    path: path,
                    reason:
                        "has a residual on layer '\(e.name)', which the model does not have (its layers: \(layers.map(\.description).joined(separator: ", ")))"
                )
            }
            guard e.shape == layer.shape else {
                throw FileError(
                    path: path, reason: "layer \(e.name) has shape \(e.shape); the model's is \(layer.shape)")
            }
            guard let bytes = Data(base64Encoded: e.fp16), bytes.count == 2 * layer.count else {
                throw FileError(
                    path: path, reason: "layer \(e.name) is not base64 of \(layer.count) fp16 values")
            }
            let values = bytes.withUnsafeBytes { raw in
                (0..<layer.count).map { i in
                    Float(
                        Float16(
                            bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    )
                }
            }
            guard values.allSatisfy(\.isFinite) else {
                throw FileError(path: path, reason: "layer \(e.name) holds NaN or Inf")
            }
            return LayerResidual(name: e.name, values: values)
        }
    }
}

extension LayeredField {
    /// `base` with named residuals (a latent's layers); `base` itself when there are none.
    public static func with(_ residuals: [LayerResidual], on base: any RadianceField) throws -> any RadianceField {
        guard !residuals.isEmpty else { return base }
        guard let generator = base as? any LayeredGenerator else {
            throw ModelError("a \(base.spec.kind) field has no latent layers")
        }
        var byIndex: [Int: Tensor] = [:]
        for r in residuals {
            let i = try generator.layerIndex(named: r.name)
            guard r.values.count == generator.latentLayers[i].count else {
                throw ModelError(
                    "residual \(r.name) has \(r.values.count) floats; the layer has \(generator.latentLayers[i].count)")
            }
            byIndex[i] = Tensor([r.values.count], values: r.values)
        }
        return LayeredField(base: generator, residuals: byIndex)
    }
}
