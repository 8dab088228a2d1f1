import CShims
import Foundation

/// Digests of bytes: latent files name the model file they belong to by its SHA-256, and the
/// viewer's WebSocket handshake answers with a SHA-1 (`CShims/hash.c`; neither keeps a secret).
public enum Fingerprint {
    /// SHA-256 of `data` as 64 lowercase hex digits.
    public static func sha256Hex(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { nv_sha256($0.baseAddress, $0.count, &digest) }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-1 of `data` (20 bytes).
    public static func sha1(_ data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        data.withUnsafeBytes { nv_sha1($0.baseAddress, $0.count, &digest) }
        return digest
    }

    /// SHA-256 of a file's bytes, hex; the error names the file.
    public static func sha256Hex(ofFile path: String) throws -> String {
        let data = try ReadFile.data(path, limit: Int.max)
        return sha256Hex(data)
    }
}
