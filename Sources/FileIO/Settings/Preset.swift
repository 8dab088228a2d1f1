import Foundation

/// Settings presets: JSON files that name the keys they change (the rest keep their defaults).
/// Commands load one with `--config FILE.json`, then apply the flags given on the command line.
public enum Preset {
    /// The largest preset read (a settings file is a few hundred bytes).
    static let maxBytes = 1 << 20

    /// Loads `path` as a `T`; an unknown key (a typo would otherwise be ignored silently), bad JSON
    /// or a wrong type is an error naming the file.
    /// With `base`, the keys the preset leaves out keep the base's values instead of the type's
    /// defaults (a model's own inversion settings under a preset that changes a few).
    public static func load<T: Codable>(_ type: T.Type, from path: String, base: T? = nil) throws -> T {
        let data = try ReadFile.data(path, limit: maxBytes, what: "settings preset")
        let value: T
        do {
            if let base, let given = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let start = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as? [String: Any]
            {
                let merged = try JSONSerialization.data(withJSONObject: overlay(start, given))
                value = try JSONDecoder().decode(T.self, from: merged)
            } else {
                value = try JSONDecoder().decode(T.self, from: data)
            }
        } catch {
            throw FileError(path: path, reason: "not a valid preset (\(DecodingErrors.describe(error, data: data)))")
        }
        // Keys the type does not read vanish when it is written back.
        let known = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        let given = try JSONSerialization.jsonObject(with: data)
        if let unknown = unknownKeys(given, known: known, prefix: "").first {
            throw FileError(path: path, reason: "unknown setting '\(unknown)'")
        }
        // A value out of range is named by its key, as the type declares the range.
        if let settings = value as? any Settings, let problem = settings.firstProblem {
            throw FileError(path: path, reason: problem.description)
        }
        return value
    }

    /// `base` with `given`'s keys put in, nested objects key by key.
    static func overlay(_ base: [String: Any], _ given: [String: Any]) -> [String: Any] {
        var out = base
        for (k, v) in given {
            if let b = base[k] as? [String: Any], let g = v as? [String: Any] {
                out[k] = overlay(b, g)
            } else {
                out[k] = v
            }
        }
        return out
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
