/// A settings type that owns its keys: it lists them once (`keys`, each with its name, range and
/// flag), and gets from that list its JSON decoding (a key a file lacks keeps the default, so
/// presets name only what they change and files written before a key existed still load), its
/// encoding, and range errors that name the key, or the flag that set it.
///
/// Defaults are the property initialisers: `init()` is the type with every default.
public protocol Settings: Codable {
    init()
    static var keys: [SettingKey<Self>] { get }
    /// What the per-key ranges cannot say (a minimum above its maximum), or nil.
    var relationProblem: String? { get }
    /// A problem that makes the decoding itself fail (an architecture that would allocate
    /// gigabytes), or nil: most settings decode as they are and are checked where they are used.
    var decodingProblem: String? { get }
}

/// A value out of range: which key (and flag) and why.
public struct SettingProblem: Error, CustomStringConvertible, Equatable {
    /// The dotted key (`skipping.refreshSteps`).
    public var key: String
    public var flag: String?
    public var reason: String
    /// "'steps' must be in 1...100000".
    public var description: String { "'\(key)' \(reason)" }
    /// "--steps must be in 1...100000" when a flag sets it, else the key's sentence.
    public var asFlag: String { flag.map { "\($0) \(reason)" } ?? description }
}

extension Settings {
    public var relationProblem: String? { nil }
    public var decodingProblem: String? { nil }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: SettingCodingKey.self)
        for key in Self.keys { try key.read(c, &self) }
        if let problem = decodingProblem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: SettingCodingKey.self)
        for key in Self.keys { try key.write(self, &c) }
    }

    /// The first value out of its range, in the order of `keys`, then the relations' problem.
    public var firstProblem: SettingProblem? {
        for key in Self.keys { if let p = key.check(self) { return p } }
        return relationProblem.map { SettingProblem(key: "settings", flag: nil, reason: $0) }
    }
}

extension SettingKey {
    /// A key holding settings of their own (`skipping`), decoded key by key and checked with their
    /// ranges (a problem names the dotted key).
    public init<V: Settings & Equatable>(nested name: String, _ path: WritableKeyPath<Root, V>, flag: String? = nil) {
        self.init(name, path, flag: flag)
        let inner = check
        check = { root in
            if let p = inner(root) { return p }
            return root[keyPath: path].firstProblem.map {
                SettingProblem(key: name + "." + $0.key, flag: $0.flag ?? flag, reason: $0.reason)
            }
        }
    }
}
