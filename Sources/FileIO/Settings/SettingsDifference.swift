import Foundation

/// The settings two encodable configs disagree on, as dotted key paths (`skipping.probeRayFraction`):
/// how `--resume` names what differs from the checkpoint instead of continuing another run silently.
public enum SettingsDifference {
    public static func keys<T: Encodable>(_ a: T, _ b: T, ignoring: Set<String> = []) -> [String] {
        let enc = JSONEncoder()
        guard let da = try? enc.encode(a), let db = try? enc.encode(b),
            let ja = try? JSONSerialization.jsonObject(with: da), let jb = try? JSONSerialization.jsonObject(with: db)
        else { return [] }
        return diff(ja, jb, prefix: "").filter { !ignoring.contains($0) }.sorted()
    }

    static func diff(_ a: Any, _ b: Any, prefix: String) -> [String] {
        if let da = a as? [String: Any], let db = b as? [String: Any] {
            return Set(da.keys).union(db.keys).flatMap { key -> [String] in
                let path = prefix.isEmpty ? key : prefix + "." + key
                guard let va = da[key], let vb = db[key] else { return [path] }
                return diff(va, vb, prefix: path)
            }
        }
        return (a as? NSObject) == (b as? NSObject) ? [] : [prefix]
    }
}
