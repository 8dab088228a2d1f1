import Foundation

/// What a file is, as a sentence a user reads when one kind is given where another was asked for
/// (a matting network as `--model`, a model as a latent or a delta): the formats nerfinv writes
/// name themselves in their headers, and common images have signatures.
public enum FileKind {
    /// Each nerfinv format's name as a user reads it, with where it goes.
    static let names: [String: String] = [
        "nerfinv-model": "a nerfinv model (it goes to --model)",
        "nerfinv-matting": "a matting network (it goes to --matting)",
        "nerfinv-decoder-delta": "a tuned decoder's delta (it lives beside its latent as NAME.delta)",
        "nerfinv-latent": "a latent (it goes to --latent, or as a latent argument)",
        "nerfinv-srn-dataset": "a dataset manifest (its folder goes to --data)",
    ]

    /// A format's name for a user (`format` itself when it is not one nerfinv writes).
    public static func name(ofFormat format: String) -> String { names[format] ?? "a file of format '\(format)'" }

    /// What `data` is, when it is a file nerfinv writes or a common image; nil when unknown.
    public static func sniff(_ data: Data) -> String? {
        let bytes = [UInt8](data.prefix(16))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "a PNG image" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if bytes.starts(with: Array("glTF".utf8)) { return "a GLB mesh" }
        if bytes.starts(with: Array("NVMODEL\n".utf8)), data.count >= 16 {
            // The header's JSON: its config names the format.
            let n = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian) }
            guard n > 0, n <= data.count - 16,
                let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 16..<(16 + n))) as? [String: Any]
            else { return nil }
            if let format = (header["config"] as? [String: Any])?["format"] as? String { return name(ofFormat: format) }
            if (header["metadata"] as? [String: String])?.keys.contains(where: { $0.hasSuffix("trainer_state") })
                == true
            {
                return "a training checkpoint (resume it with --resume, or load the model its run wrote)"
            }
            return nil
        }
        if bytes.first == UInt8(ascii: "{"), data.count <= 64 << 20,
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let format = json["format"] as? String
        {
            return name(ofFormat: format)
        }
        return nil
    }

    /// The reason to give when `data` was expected to be `expected` (a format nerfinv writes) and
    /// is recognisably something else; nil when it is that format or unknown.
    public static func mixUp(_ data: Data, expected: String) -> String? {
        guard let what = sniff(data), what != name(ofFormat: expected) else { return nil }
        return "is \(what), not \(name(ofFormat: expected))"
    }
}

/// A config that names its file's format (`FileKind`), so that a file of another kind is named.
public protocol NamedFormat {
    static var formatName: String { get }
}
