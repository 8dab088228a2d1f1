// A frame request's numbers, as a browser (or a hostile page) sends them: every one range-checked
// before it is converted.

/// One frame a browser asks for; every value is range-checked by `ViewerSession.frame`.
struct FrameRequest: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case rgb, depth, normals }
    public var latent = 0
    var azimuth = 35.0
    var elevation = 20.0
    var distance = 3.0
    var size = 128
    public var mode = Mode.rgb
    /// Edit amounts by direction name (pc1..., or an attribute), in standard deviations.
    var edits: [String: Float] = [:]
    public init() {}

    /// The ranges a request must lie in.
    static let sizes = 16...512
    static let distances = 1.3...20.0
    static let elevations = -89.0...89.0
    static let amounts: ClosedRange<Float> = -5...5

    /// From URL query items; nil with the reason when a value is missing, malformed or out of range.
    public static func parse(_ query: [String: String]) -> Result<FrameRequest, ViewerError> {
        var r = FrameRequest()
        func number(_ key: String) -> Double?? {
            guard let text = query[key] else { return .some(nil) }
            guard let v = ViewerLimits.number(text) else { return nil }
            return .some(v)
        }
        guard let latent = ViewerLimits.index(query["latent"] ?? "0") else {
            return .failure(.init("latent must be an index"))
        }
        r.latent = latent
        guard let az = number("az"), let el = number("el"), let dist = number("dist"), let size = number("size") else {
            return .failure(.init("az, el, dist and size must be finite numbers"))
        }
        // Every range is checked on the Double, before any conversion: Int(1e300) traps.
        if let az { r.azimuth = az.truncatingRemainder(dividingBy: 360) }
        if let el { r.elevation = el }
        if let dist { r.distance = dist }
        guard elevations.contains(r.elevation) else { return .failure(.init("el must lie in -89...89")) }
        guard distances.contains(r.distance) else { return .failure(.init("dist must lie in 1.3...20")) }
        if let size {
            guard (Double(sizes.lowerBound)...Double(sizes.upperBound)).contains(size) else {
                return .failure(.init("size must lie in 16...512"))
            }
            r.size = Int(size)
        }
        if let m = query["mode"] {
            guard let mode = Mode(rawValue: m) else { return .failure(.init("mode must be rgb, depth or normals")) }
            r.mode = mode
        }
        if let e = query["edit"], !e.isEmpty {
            for part in e.split(separator: ";") {
                let kv = part.split(separator: ":")
                guard kv.count == 2, let v = ViewerLimits.number(String(kv[1])).map(Float.init), amounts.contains(v)
                else {
                    return .failure(.init("edit takes name:amount pairs within ±5, separated by ';'"))
                }
                r.edits[String(kv[0])] = v
            }
        }
        return .success(r)
    }
}

/// Parsing of the numbers a request carries: short plain decimal text only, so that no conversion
/// meets a value it traps on or a string long enough to cost time.
enum ViewerLimits {
    /// Longest number text taken ("-123.456789e-5" and the like are far shorter).
    static let numberCharacters = 32
    /// Largest latent index a request may name (a viewer shows tens of latents).
    static let maxIndex = 1_000_000

    /// A finite number, from at most `numberCharacters` characters.
    static func number(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.count <= numberCharacters,
            text.utf8.allSatisfy({ (48...57).contains($0) || "+-.eE".utf8.contains($0) }),
            let v = Double(text), v.isFinite
        else { return nil }
        return v
    }

    /// A non-negative index of at most 7 digits.
    static func index(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 7, text.utf8.allSatisfy({ (48...57).contains($0) }), let i = Int(text),
            i <= maxIndex
        else { return nil }
        return i
    }

    /// A frame's sequence number (UInt32, at most 10 digits).
    static func sequence(_ text: String) -> UInt32? {
        guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return UInt32(text)
    }
}
