import FileIO
import Foundation
import NeuralCore

/// A 3D latent as a human-readable JSON file: the identity code, the view code of the photo it
/// came from, the model it belongs to, and how it was obtained.
public struct LatentFile: Codable, Sendable, Equatable {
    /// Camera of the source photo in the rig's terms.
    public struct ViewCode: Codable, Sendable, Equatable {
        public var azimuth: Double
        public var elevation: Double
        public var distance: Double
        public var fov: Double
        /// Per-channel gain and bias the photo's exposure/white balance needed (identity = neutral).
        public var gain: [Double]?
        public var bias: [Double]?
        public init(
            azimuth: Double, elevation: Double, distance: Double, fov: Double, gain: [Double]? = nil,
            bias: [Double]? = nil
        ) {
            self.azimuth = azimuth
            self.elevation = elevation
            self.distance = distance
            self.fov = fov
            self.gain = gain
            self.bias = bias
        }
    }
    public struct Provenance: Codable, Sendable, Equatable {
        public var method: String
        var source: String
        public var steps: Int
        public var views: Int
        public var seconds: Double
        public init(method: String, source: String, steps: Int, views: Int, seconds: Double) {
            self.method = method
            self.source = source
            self.steps = steps
            self.views = views
            self.seconds = seconds
        }
    }

    var format = "nerfinv-latent"
    var version = 1
    public var model: ModelIdentity
    public var identity: [Float]
    public var view: ViewCode
    public var obtained: Provenance
    public var losses: [String: Double]
    /// The photo's light as a lit field found it (`ViewLight.packed`: direction, key, sky); absent
    /// for fields whose colour ignores light.
    public var light: [Float]?
    /// Every photo's view code and light, in the order of `obtained.source`, when several photos of
    /// one object were inverted together (`view` and `light` are the first's); absent for one photo.
    public var views: [ViewCode]?
    public var lights: [[Float]]?
    /// The file name of the tuned decoder's delta beside the latent (`invert --tune-decoder`).
    public var decoderDelta: String?
    /// The layered latent's residuals in the generator's layers (`invert --layer-steps`), absent
    /// for a code-only latent.
    public var layers: [LatentLayerEntry]?

    public init(
        model: ModelIdentity, identity: [Float], view: ViewCode, obtained: Provenance, losses: [String: Double],
        light: [Float]? = nil
    ) {
        self.light = light
        self.model = model
        self.identity = identity
        self.view = view
        self.obtained = obtained
        self.losses = losses
    }

    /// How far (in RMS, relative to the model's code table) a latent's identity code may be.
    static let maxCodeScale = 100.0
    /// Photos one latent may record (a joint inversion of more is not what this format is for).
    static let maxViews = 256
    /// A latent's size limit: a layered latent's residuals on the third generation's 128x128 planes
    /// and a feature map are about 3 MB of base64 fp16.
    static let maxBytes = 16 << 20

    public func write(to path: String) throws {
        // A diverged optimisation must not leave a latent nothing can read.
        let view = [self.view.azimuth, self.view.elevation, self.view.distance, self.view.fov]
        guard identity.allSatisfy(\.isFinite), view.allSatisfy(\.isFinite), (light ?? []).allSatisfy(\.isFinite) else {
            throw FileError(
                path: path,
                reason: "the result holds NaN or infinite values (the optimisation diverged); nothing was written")
        }
        // A loss that has no value (NaN) is left out rather than failing the write.
        var finite = self
        finite.losses = losses.filter { $0.value.isFinite }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(finite), to: path)
    }

    /// Reads and checks a latent file against the model it will be used with.
    public static func read(_ path: String, for model: NeRFModel) throws -> LatentFile {
        let modelSHA256 = model.identity.sha256
        let data = try ReadFile.data(path, limit: maxBytes, what: "latent file")
        let latent: LatentFile
        do { latent = try JSONDecoder().decode(LatentFile.self, from: data) } catch {
            throw FileError(
                path: path,
                reason: FileKind.mixUp(data, expected: "nerfinv-latent")
                    ?? "not a nerfinv latent file (\(DecodingErrors.describe(error, data: data)))")
        }
        guard latent.format == "nerfinv-latent" else {
            throw FileError(path: path, reason: "format is '\(latent.format)', not nerfinv-latent")
        }
        guard latent.version == 1 else {
            throw FileError(
                path: path, reason: "latent version \(latent.version) is not supported (this nerfinv reads 1)")
        }
        let D = model.config.decoder.codeDim
        guard latent.identity.count == D else {
            throw FileError(
                path: path, reason: "identity code has \(latent.identity.count) values; the model takes \(D)")
        }
        guard latent.identity.allSatisfy(\.isFinite) else {
            throw FileError(path: path, reason: "identity code holds NaN or Inf")
        }
        // Codes far outside the training codes decode to noise: 100x the table's RMS is no edit or
        // extrapolation, it is a different file's numbers (or 3.4e38).
        let rms = { (v: [Float]) in
            (v.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, v.count))).squareRoot()
        }
        let tableRMS = rms(model.codes.array), own = rms(latent.identity)
        guard own <= maxCodeScale * tableRMS + 1e-3 else {
            throw FileError(
                path: path,
                reason: String(
                    format:
                        "identity code has RMS %.3g, %.0f times the model's training codes (%.3g): out of range for this model",
                    own, own / max(tableRMS, 1e-12), tableRMS))
        }
        for v in [latent.view] + (latent.views ?? []) {
            guard [v.azimuth, v.elevation, v.distance, v.fov].allSatisfy(\.isFinite), v.distance > 0, v.fov > 0,
                v.fov < 180
            else {
                throw FileError(
                    path: path, reason: "view code is not a valid camera (distance > 0, 0 < fov < 180, finite angles)")
            }
        }
        for light in [latent.light].compactMap({ $0 }) + (latent.lights ?? []) {
            guard light.count == 9, light.allSatisfy(\.isFinite), light[3...].allSatisfy({ $0 >= 0 }),
                light[0..<3].contains(where: { $0 != 0 })
            else {
                throw FileError(
                    path: path, reason: "light is not 9 finite values (a direction, then key and sky colours >= 0)")
            }
        }
        if let views = latent.views,
            views.isEmpty || views.count > maxViews || (latent.lights.map { $0.count != views.count } ?? false)
        {
            throw FileError(path: path, reason: "views must list 1...\(maxViews) view codes, and lights one per view")
        }
        guard latent.model.sha256 == modelSHA256 else {
            throw FileError(
                path: path,
                reason:
                    "latent was made with model \(latent.model.name) (sha256 \(latent.model.sha256.prefix(12))...), not this one (\(modelSHA256.prefix(12))...)"
            )
        }
        // The residuals are checked against the model's layers (they are read again where drawn).
        if let entries = latent.layers {
            _ = try LatentLayerEntry.residuals(entries, for: model.field, path: path)
        }
        return latent
    }
}
