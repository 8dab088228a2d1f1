/// One key of a settings type, declared once: its name in JSON files, the property it sets, the
/// values it may take and the command-line flag that sets it. A `Settings` type lists its keys, and
/// decoding, encoding, range checks and error messages all follow from that list.
public struct SettingKey<Root>: @unchecked Sendable {
    /// The key in JSON (presets, model files, checkpoints).
    public let name: String
    /// The flag that sets it (`--refine-rays`), for errors about a flag's value; nil: no flag.
    public let flag: String?
    let read: (KeyedDecodingContainer<SettingCodingKey>, inout Root) throws -> Void
    let write: (Root, inout KeyedEncodingContainer<SettingCodingKey>) throws -> Void
    /// Which value in `Root` is out of range and why, or nil.
    var check: (Root) -> SettingProblem?

    /// A key whose every value is valid. `omitWhen`: not written while it holds this value (a field
    /// added later, so files written before it keep their exact text).
    public init<V: Codable & Equatable>(
        _ name: String, _ path: WritableKeyPath<Root, V>, flag: String? = nil, omitWhen: V? = nil
    ) {
        self.init(name, path, flag: flag, omitWhen: omitWhen) { _ in nil }
    }

    /// A key whose value must lie in `range` (NaN never does).
    public init<V: Codable & Comparable>(
        _ name: String, _ path: WritableKeyPath<Root, V>, in range: ClosedRange<V>, flag: String? = nil,
        omitWhen: V? = nil
    ) {
        self.init(name, path, flag: flag, omitWhen: omitWhen) {
            range.contains($0) ? nil : "must be in \(range.lowerBound)...\(range.upperBound)"
        }
    }

    /// A key with a rule of its own: `rule(value)` says why a value is refused, or nil.
    public init<V: Codable & Equatable>(
        _ name: String, _ path: WritableKeyPath<Root, V>, flag: String? = nil, omitWhen: V? = nil,
        rule: @escaping (V) -> String?
    ) {
        self.name = name
        self.flag = flag
        let key = SettingCodingKey(name)
        read = { c, root in if let v = try c.decodeIfPresent(V.self, forKey: key) { root[keyPath: path] = v } }
        write = { root, c in
            let v = root[keyPath: path]
            if let omitWhen, v == omitWhen { return }
            // An absent optional is left out, as Swift's own encoding does.
            if let optional = v as? any OptionalSetting, optional.isNone { return }
            try c.encode(v, forKey: key)
        }
        check = { root in rule(root[keyPath: path]).map { SettingProblem(key: name, flag: flag, reason: $0) } }
    }

    /// A key that files written before a rename still hold: read into the new place, never written.
    public static func legacy<V: Codable>(_ name: String, _ path: WritableKeyPath<Root, V>) -> SettingKey {
        SettingKey(legacy: name) { c, root in
            if let v = try c.decodeIfPresent(V.self, forKey: SettingCodingKey(name)) { root[keyPath: path] = v }
        }
    }

    /// A legacy key read by hand (a type that changed on the way).
    public init(
        legacy name: String, read: @escaping (KeyedDecodingContainer<SettingCodingKey>, inout Root) throws -> Void
    ) {
        self.name = name
        flag = nil
        self.read = read
        write = { _, _ in }
        check = { _ in nil }
    }
}

/// Common rules of settings keys.
public enum SettingRule {
    /// Finite and at least zero (weights).
    public static func nonNegative<F: BinaryFloatingPoint>(_ x: F) -> String? {
        x.isFinite && x >= 0 ? nil : "must be finite and ≥ 0"
    }
    /// Finite and above zero (learning rates, scales).
    public static func positive<F: BinaryFloatingPoint>(_ x: F) -> String? {
        x.isFinite && x > 0 ? nil : "must be finite and > 0"
    }
}

/// Any key of a settings type's JSON object.
public struct SettingCodingKey: CodingKey {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Lets an encoding leave out an optional setting that holds nothing.
protocol OptionalSetting { var isNone: Bool { get } }
extension Optional: OptionalSetting { var isNone: Bool { self == nil } }
