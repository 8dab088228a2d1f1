import FileIO
import Foundation
import NeuralCore

/// A trained model: field weights, one identity code per training object, and their mean (the
/// start of optimisation-only inversion). Nothing changes a model once made: whatever tunes
/// weights (encoder training with `decoderLR`, per-photo tuning) works on `field.copy()`.
public final class NeRFModel {
    public let config: ModelConfig
    public let field: any RadianceField
    public let codes: Tensor  // (O, D)
    /// Photo -> identity and view codes; nil until `train-encoder` has run.
    public let encoder: PhotoEncoder?
    /// Photo + render of the current estimate -> updates; nil until `train-encoder --iterative` has run.
    public let iterativeEncoder: IterativeEncoder?
    /// The training objects' generator attributes (semantic edit directions are fitted to them).
    public let attributes: ObjectAttributeTable?
    /// The file it was read from (latents, deltas and reports name it); `.unsaved` for one made in memory.
    public let identity: ModelIdentity

    public init(
        config: ModelConfig, field: any RadianceField, codes: Tensor, encoder: PhotoEncoder? = nil,
        attributes: ObjectAttributeTable? = nil, identity: ModelIdentity = .unsaved,
        iterativeEncoder: IterativeEncoder? = nil
    ) {
        var config = config
        config.attributeNames = attributes?.names
        config.iterativeEncoder = iterativeEncoder?.network.config
        if iterativeEncoder == nil { config.iterativeTraining = nil }
        self.config = config
        self.field = field
        self.codes = codes
        self.encoder = encoder
        self.iterativeEncoder = iterativeEncoder
        self.attributes = attributes
        self.identity = identity
    }

    /// The same model with the training objects' attributes beside its codes.
    public func with(attributes: ObjectAttributeTable?) -> NeRFModel {
        NeRFModel(
            config: config, field: field, codes: codes, encoder: encoder, attributes: attributes, identity: identity,
            iterativeEncoder: iterativeEncoder)
    }

    /// The same model with an iterative encoder (replacing any), how it was trained, and provenance notes.
    public func with(iterative: IterativeEncoder, training: EncoderTrainConfig, notes: [String: String] = [:])
        -> NeRFModel
    {
        var config = config
        config.iterativeTraining = training
        for (k, v) in notes { config.notes[k] = v }
        return NeRFModel(
            config: config, field: field, codes: codes, encoder: encoder, attributes: attributes, identity: identity,
            iterativeEncoder: iterative)
    }

    /// The encoder, or the one error every encoder start gives without it.
    public func requireEncoder() throws -> PhotoEncoder {
        guard let encoder else {
            throw ModelError(
                "\(identity.name) has no encoder: run `nerfinv train-encoder` first, or start from the mean code (--init mean, eval mode mean-refine)"
            )
        }
        return encoder
    }

    /// Inversion's settings when no preset or flag says otherwise: the field kind's, with the
    /// iterative encoder's iterations and shorter refinement when the model has one.
    public var refineDefaults: RefineSettings {
        let s = config.decoder.config.refineDefaults
        return iterativeEncoder == nil ? s : s.withIterativeEncoder
    }

    /// Mean per-dimension variance of the code table: the scale of "near" in code space.
    public var codeVariance: Float {
        let O = codes.shape[0], D = codes.shape[1], mean = meanCode
        var v: Double = 0
        for o in 0..<O {
            for d in 0..<D {
                let x = Double(codes[o * D + d] - mean[d])
                v += x * x
            }
        }
        return Float(max(v / Double(max(1, O * D)), 1e-8))
    }

    /// The mean identity code (D).
    public var meanCode: [Float] {
        let O = codes.shape[0], D = codes.shape[1]
        var m = [Float](repeating: 0, count: D)
        for o in 0..<O { for d in 0..<D { m[d] += codes[o * D + d] } }
        return m.map { $0 / Float(max(1, O)) }
    }

    public func save(
        to path: String, dtype: ParameterFile.DType = .f16, extra: [(name: String, tensor: Tensor)] = [],
        metadata: [String: String] = [:]
    ) throws {
        try ParameterFile.write(
            to: path,
            tensors: field.parameters + [("codes", codes)] + (encoder?.parameters ?? [])
                + (iterativeEncoder?.network.parameters ?? []) + (attributes?.tensors ?? []) + extra,
            config: config,
            metadata: metadata, dtype: dtype)
    }

    /// Loads a model file; errors name the file and what does not fit.
    public static func load(_ path: String) throws -> (model: NeRFModel, contents: ParameterFile.Contents<ModelConfig>)
    {
        let contents = try ParameterFile.read(from: path, config: ModelConfig.self)
        guard let config = contents.config, config.format == "nerfinv-model" else {
            throw FileError(path: path, reason: "not a nerfinv model (its header has no nerfinv-model config)")
        }
        if let problem = config.problem(codeRows: contents.named["codes"]?.shape.first) {
            throw FileError(path: path, reason: problem)
        }
        // The config's sizes against the tensors the file holds, before anything is allocated.
        let floats = { (prefix: String) in
            contents.named.filter { $0.key.hasPrefix(prefix) }.reduce(0) { $0 + $1.value.count }
        }
        guard floats("decoder.") == config.decoder.config.parameterCount else {
            throw FileError(
                path: path,
                reason:
                    "its decoder config needs \(config.decoder.config.parameterCount) weights, the file holds \(floats("decoder."))"
            )
        }
        if let ec = config.encoder, floats("encoder.") != ec.parameterCount {
            throw FileError(
                path: path,
                reason: "its encoder config needs \(ec.parameterCount) weights, the file holds \(floats("encoder."))")
        }
        if let ic = config.iterativeEncoder, floats(IterativeEncoder.prefix + ".") != ic.parameterCount {
            throw FileError(
                path: path,
                reason:
                    "its iterative encoder config needs \(ic.parameterCount) weights, the file holds \(floats(IterativeEncoder.prefix + "."))"
            )
        }
        let named = contents.named
        let field: any RadianceField
        do { field = try config.decoder.loadField(tensors: named) } catch {
            throw FileError(path: path, reason: "\(error)")
        }
        guard let codes = named["codes"], codes.shape.count == 2, codes.shape[1] == config.decoder.codeDim else {
            throw FileError(path: path, reason: "missing or misshapen code table")
        }
        var encoder: PhotoEncoder? = nil
        if let ec = config.encoder {
            do { encoder = try PhotoEncoder(config: ec, tensors: named) } catch {
                throw FileError(path: path, reason: "\(error)")
            }
        }
        var iterative: IterativeEncoder? = nil
        if let ic = config.iterativeEncoder, let encoder {
            do {
                iterative = IterativeEncoder(
                    network: try PhotoEncoder(config: ic, tensors: named, prefix: IterativeEncoder.prefix),
                    oneShot: encoder)
                _ = try iterative?.residualMap(field: field)
            } catch { throw FileError(path: path, reason: "\(error)") }
        }
        let attributes: ObjectAttributeTable?
        do {
            attributes = try ObjectAttributeTable.from(
                tensors: named, names: config.attributeNames, objects: codes.shape[0])
        } catch { throw FileError(path: path, reason: "\(error)") }
        let identity = ModelIdentity(
            name: URL(fileURLWithPath: path).lastPathComponent, sha256: try Fingerprint.sha256Hex(ofFile: path))
        return (
            NeRFModel(
                config: config, field: field, codes: codes, encoder: encoder, attributes: attributes,
                identity: identity, iterativeEncoder: iterative),
            contents
        )
    }
}
