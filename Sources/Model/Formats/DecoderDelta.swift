import FileIO
import Foundation
import NeuralCore

// T tuned weights of one parameter tensor.

/// The weights `invert --tune-decoder` changed, as differences from the base model's, in a small
/// file beside the latent (`car.latent` → `car.delta`; a `ParameterFile` of fp16 differences).
/// It names the base model's SHA-256 and the identity code it was tuned at, so it is never applied
/// to another model or to a later latent written over the same name.
public struct DecoderDelta: Sendable {
    /// The delta file's config: what it belongs to and how it was made.
    public struct Header: Codable, Sendable, Equatable, NamedFormat {
        public static let formatName = "nerfinv-decoder-delta"
        var format = "nerfinv-decoder-delta"
        var version = 1
        var baseModel: String
        var baseModelSHA256: String
        /// The identity code the decoder was tuned at (the latent's).
        var pivot: [Float]
        public var steps: Int
        /// Input-view PSNR (dB) of held-out photo pixels before and after tuning.
        public var validationPSNRBefore: Double
        public var validationPSNRAfter: Double

        public init(
            baseModel: String, baseModelSHA256: String, pivot: [Float], steps: Int, validationPSNRBefore: Double,
            validationPSNRAfter: Double
        ) {
            self.baseModel = baseModel
            self.baseModelSHA256 = baseModelSHA256
            self.pivot = pivot
            self.steps = steps
            self.validationPSNRBefore = validationPSNRBefore
            self.validationPSNRAfter = validationPSNRAfter
        }
    }

    public var header: Header
    /// tuned - base, per changed parameter (its name and T values).
    public var differences: [(name: String, values: [Float])]

    public init(header: Header, differences: [(name: String, values: [Float])]) {
        self.header = header
        self.differences = differences
    }

    /// The delta file beside a latent: its path with `.delta` for `.latent`.
    public static func path(forLatent latent: String) -> String {
        (latent.hasSuffix(".latent") ? String(latent.dropLast(7)) : latent) + ".delta"
    }

    /// Removes the delta beside a latent just written without one: it was tuned at the code that
    /// latent replaced, and would only be refused (or mislead) from now on.
    public static func removeStale(besideLatent latent: String) {
        let path = Self.path(forLatent: latent)
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Floats of every difference.
    public var count: Int { differences.reduce(0) { $0 + $1.values.count } }

    public func write(to path: String) throws {
        guard differences.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) else {
            throw FileError(path: path, reason: "the tuned weights hold NaN or infinite values; nothing was written")
        }
        try ParameterFile.write(
            to: path, tensors: differences.map { ($0.name, Tensor([$0.values.count], values: $0.values)) },
            config: header, dtype: .f16)
    }

    /// Reads a delta file and checks it against the model it will be applied to.
    public static func read(_ path: String, for model: NeRFModel) throws -> DecoderDelta {
        let modelSHA256 = model.identity.sha256
        let contents = try ParameterFile.read(from: path, config: Header.self)
        guard let header = contents.config, header.format == Header.formatName else {
            throw FileError(
                path: path, reason: "not a nerfinv decoder delta (its header has no nerfinv-decoder-delta config)")
        }
        guard header.version == 1 else {
            throw FileError(
                path: path, reason: "delta version \(header.version) is not supported (this nerfinv reads 1)")
        }
        guard header.baseModelSHA256 == modelSHA256 else {
            throw FileError(
                path: path,
                reason:
                    "was tuned for model \(header.baseModel) (sha256 \(header.baseModelSHA256.prefix(12))...), not this one (\(modelSHA256.prefix(12))...)"
            )
        }
        let shapes = Dictionary(
            model.field.parameters.map { ($0.name, $0.tensor.count) }, uniquingKeysWith: { a, _ in a })
        var differences: [(name: String, values: [Float])] = []
        for (name, t) in contents.tensors {
            guard let count = shapes[name] else {
                throw FileError(path: path, reason: "changes \(name), which the model's decoder does not have")
            }
            guard count == t.count else {
                throw FileError(path: path, reason: "holds \(t.count) values for \(name); the model's has \(count)")
            }
            let values = t.array
            guard values.allSatisfy(\.isFinite) else { throw FileError(path: path, reason: "\(name) holds NaN or Inf") }
            differences.append((name, values))
        }
        return DecoderDelta(header: header, differences: differences)
    }

    /// Refuses a delta tuned at another identity code than the latent's (a latent written again
    /// over the same name, without tuning, beside an old delta).
    public func check(pivotOf identity: [Float], latentPath: String, deltaPath: String) throws {
        guard identity.count == header.pivot.count,
            zip(identity, header.pivot).allSatisfy({ abs($0 - $1) <= Self.pivotTolerance * max(1, abs($1)) })
        else {
            throw FileError(
                path: deltaPath,
                reason:
                    "was tuned for another identity code than \(latentPath)'s: invert again with --tune-decoder, or remove it"
            )
        }
    }
    /// Relative difference of code values still taken as the same code (JSON round-trips floats
    /// exactly; this only absorbs an edited file's last digit).
    static let pivotTolerance: Float = 1e-5

    /// A copy of `base` with the differences added (the base stays as it is).
    public func applied(to base: any RadianceField) -> any RadianceField {
        TuningReport(
            steps: header.steps, validationPSNRBefore: header.validationPSNRBefore,
            validationPSNRAfter: header.validationPSNRAfter, seconds: 0, differences: differences
        ).tunedField(from: base)
    }
}
