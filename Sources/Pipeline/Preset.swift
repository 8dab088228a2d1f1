import FileIO
import Foundation

/// Settings presets: JSON files that name the keys they change (the rest keep their defaults).
/// Commands load one with `--config FILE.json`, then apply the flags given on the command line.
public enum Preset {
    /// The largest preset read (a settings file is a few hundred bytes).
    static let maxBytes = 1 << 20

    /// Loads `path` as a `T`; an unknown key (a typo would otherwise be ignored silently), bad JSON
    /// or a wrong type is an error naming the file.
    public static func load<T: Codable>(_ type: T.Type, from path: String) throws -> T {
        let data = try ReadFile.data(path, limit: maxBytes, what: "settings preset")
        let value: T
        do { value = try JSONDecoder().decode(T.self, from: data) } catch {
            throw FileError(path: path, reason: "not a valid preset (\(DecodingErrors.describe(error, data: data)))")
        }
        // Keys the type does not read vanish when it is written back.
        let known = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        let given = try JSONSerialization.jsonObject(with: data)
        if let unknown = unknownKeys(given, known: known, prefix: "").first {
            throw FileError(path: path, reason: "unknown setting '\(unknown)'")
        }
        return value
    }

    static func unknownKeys(_ given: Any, known: Any, prefix: String) -> [String] {
        guard let g = given as? [String: Any] else { return [] }
        let k = known as? [String: Any] ?? [:]
        return g.keys.sorted().flatMap { key -> [String] in
            guard let sub = k[key] else { return [prefix + key] }
            return unknownKeys(g[key]!, known: sub, prefix: prefix + key + ".")
        }
    }

}
