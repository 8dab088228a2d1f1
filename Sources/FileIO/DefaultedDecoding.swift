/// Settings files stay readable as settings grow: a key a file lacks keeps the type's default, so
/// configs written before a field existed (and presets that name only what they change) still load.
extension KeyedDecodingContainer {
    /// Overwrites `value` with the decoded value of `key` when the key is present.
    public func read<T: Decodable>(_ value: inout T, _ key: Key) throws {
        if let v = try decodeIfPresent(T.self, forKey: key) { value = v }
    }
}
