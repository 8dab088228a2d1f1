import FileIO
import Foundation

/// `<object>/attributes.json`: the generator's choices for one object (`{"length": 1.9, ...}`,
/// sizes in box units as the views show them, hue in degrees, absent when the colour has none),
/// plus its style.
public enum AttributeFile {
    public static let name = "attributes.json"

    struct Contents: Codable {
        var style: String?
        var attributes: [String: Double]
    }

    public static func write(_ attributes: [String: Double], style: String?, objectDir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(
            try enc.encode(Contents(style: style, attributes: attributes)), to: "\(objectDir)/\(name)")
    }

    /// The object's attributes, or nil when it has no file (a dataset made before they were recorded).
    public static func read(objectDir: String) throws -> [String: Double]? {
        let path = "\(objectDir)/\(name)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try ReadFile.data(path, limit: 1 << 20, what: "attribute file")
        do {
            let c = try JSONDecoder().decode(Contents.self, from: data)
            guard c.attributes.values.allSatisfy(\.isFinite) else {
                throw FileError(path: path, reason: "holds a value that is not finite")
            }
            return c.attributes
        } catch let e as FileError { throw e } catch {
            throw FileError(path: path, reason: "not an attribute file (\(DecodingErrors.describe(error, data: data)))")
        }
    }
}
