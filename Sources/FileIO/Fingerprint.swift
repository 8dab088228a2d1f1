import Crypto
import FileIO
import Foundation

/// SHA-256 fingerprints (swift-crypto): latent files name the model file they belong to by its hash.
public enum Fingerprint {
    /// SHA-256 of `data` as 64 lowercase hex digits.
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file's bytes, hex; the error names the file.
    public static func sha256Hex(ofFile path: String) throws -> String {
        let data = try ReadFile.data(path, limit: Int.max)
        return sha256Hex(data)
    }
}
