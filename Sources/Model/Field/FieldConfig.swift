import Foundation
import NeuralCore

/// The settings of one kind of radiance field, saved in model files under its kind tag.
public protocol FieldConfig: Codable, Sendable {
    /// The tag model files carry ("triplane", ...); `FieldRegistry` maps it back to the type.
    static var kind: String { get }
    /// Length of the identity code z.
    var codeDim: Int { get }
    /// Samples per ray inside the [-box, box]^3 cube.
    var samplesPerRay: Int { get }
    /// Half side of the cube the field lives in (RIG.md: objects lie inside [-1, 1]^3).
    var box: Double { get }
    /// Background colour composited behind every ray (RIG.md: white).
    var background: [Float] { get }
    /// Cells per side of the occupancy grid that skips empty space for one object.
    var occupancyResolution: Int { get }
    /// A field with fresh weights from `rng`.
    func makeField(rng: inout SplitMix64) -> any RadianceField
    /// Why these settings cannot make a field (a width out of its range), or nil. Checked before a
    /// model file's field is built, so a corrupt config cannot ask for gigabytes.
    var problem: String? { get }
    /// Floats of one object's state (the planes of a triplane), which `setup` writes.
    var stateFloats: Int { get }
    /// Floats of all the field's weights (whose names all start with "decoder."): compared with a
    /// model file's tensors before allocating.
    var parameterCount: Int { get }
    /// Inversion's settings for this kind when no preset or flag says otherwise.
    var refineDefaults: RefineSettings { get }
    /// Render samples a silhouette ray crosses this kind's surface over (`MeshExtraction`'s
    /// default threshold): how soft its surface layer is, measured per kind.
    var surfaceLayerSamples: Double { get }
}

extension FieldConfig {
    public var refineDefaults: RefineSettings { RefineSettings() }
    /// A grazing ray's opacity builds up over a few samples, not one: 3 gives the first generation's
    /// unlit triplane its best silhouette agreement (IoU 0.96 at the test views, 0.93 for one).
    public var surfaceLayerSamples: Double { 3 }

    /// The checks every kind shares: code length, samples, box, grid and background in range.
    public var commonProblem: String? {
        guard (1...4096).contains(codeDim) else { return "codeDim \(codeDim) is outside 1...4096" }
        guard (1...1024).contains(samplesPerRay) else { return "samplesPerRay \(samplesPerRay) is outside 1...1024" }
        guard box.isFinite, box > 0, box <= 100 else { return "box \(box) is outside (0, 100]" }
        guard (2...256).contains(occupancyResolution) else {
            return "occupancyResolution \(occupancyResolution) is outside 2...256"
        }
        guard background.count == 3, background.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
            return "background must be three values in [0, 1]"
        }
        return nil
    }
}

/// A field config of any registered kind: what a model file's "decoder" entry holds. Files written
/// before fields had kinds have no tag and read as a triplane.
public struct FieldSpec: Codable, Sendable, Equatable, CustomStringConvertible {
    public let config: any FieldConfig

    public init(_ config: any FieldConfig) { self.config = config }

    public var kind: String { type(of: config).kind }
    public var codeDim: Int { config.codeDim }
    public var samplesPerRay: Int { config.samplesPerRay }
    public var box: Double { config.box }
    public var occupancyResolution: Int { config.occupancyResolution }
    var backgroundColour: SIMD3<Float> {
        SIMD3(config.background[0], config.background[1], config.background[2])
    }

    public func makeField(rng: inout SplitMix64) -> any RadianceField { config.makeField(rng: &rng) }

    /// A field with the weights of a model file's named tensors; the error names the missing or
    /// misshapen tensor.
    func loadField(tensors: [String: Tensor]) throws -> any RadianceField {
        var rng = SplitMix64(seed: 0)
        let field = makeField(rng: &rng)
        try NamedWeights.load(field.parameters, from: tensors, file: "model file", config: "config")
        return field
    }

    enum KindKey: String, CodingKey { case kind }

    /// A registered kind with its defaults ("lit-triplane"); the error lists the kinds.
    public static func named(_ kind: String) throws -> FieldSpec {
        guard FieldRegistry.type(named: kind) != nil else {
            throw ModelError("unknown field kind '\(kind)' (kinds: \(FieldRegistry.names.joined(separator: ", ")))")
        }
        let json = try JSONSerialization.data(withJSONObject: ["kind": kind])
        return try JSONDecoder().decode(FieldSpec.self, from: json)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: KindKey.self)
        let kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? TriplaneConfig.kind
        guard let type = FieldRegistry.type(named: kind) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription:
                    "unknown field kind '\(kind)' (this nerfinv knows \(FieldRegistry.names.joined(separator: ", ")))")
        }
        config = try type.init(from: decoder)
    }

    public func encode(to encoder: Swift.Encoder) throws {
        try config.encode(to: encoder)
        var c = encoder.container(keyedBy: KindKey.self)
        try c.encode(kind, forKey: .kind)
    }

    /// The config as sorted JSON: what equality compares, and how errors show a config.
    public var description: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return (try? enc.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? kind
    }

    public static func == (a: FieldSpec, b: FieldSpec) -> Bool { a.description == b.description }
}

/// The field kinds model files may name. Adding a kind: its config type, one line in `builtIn`
/// (or one `register` call, as the tests' toy field does).
public enum FieldRegistry {
    static let builtIn: [any FieldConfig.Type] = [
        TriplaneConfig.self, LitTriplaneConfig.self,
    ]
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [String: any FieldConfig.Type] = Dictionary(
        uniqueKeysWithValues: builtIn.map { ($0.kind, $0) })

    /// Makes a kind loadable from model files (idempotent).
    public static func register(_ type: any FieldConfig.Type) {
        lock.lock()
        defer { lock.unlock() }
        registered[type.kind] = type
    }

    public static func type(named kind: String) -> (any FieldConfig.Type)? {
        lock.lock()
        defer { lock.unlock() }
        return registered[kind]
    }

    public static var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return registered.keys.sorted()
    }
}
