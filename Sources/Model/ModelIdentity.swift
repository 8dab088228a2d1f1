/// Which model file a model was read from: its file name and the SHA-256 of its bytes. Latents,
/// decoder deltas and reports record it, so a file made with one model is refused by another.
public struct ModelIdentity: Codable, Sendable, Equatable {
    public var name: String
    /// Hex digest of the model file's bytes.
    public var sha256: String
    public init(name: String, sha256: String) {
        self.name = name
        self.sha256 = sha256
    }

    /// A model built in memory (training, tests) that no file holds yet.
    public static let unsaved = ModelIdentity(name: "unsaved", sha256: "")
}
