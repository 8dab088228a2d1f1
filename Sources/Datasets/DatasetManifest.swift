import FileIO
import Foundation

/// dataset.json, written by `nerfinv generate` beside the objects: how the set was made.
public struct DatasetManifest: Codable, Sendable {
    public var format = "nerfinv-srn-dataset"
    public var version = 1
    public var scene: String
    public var sceneFile: String
    public var seed: UInt64
    public var `protocol`: String
    public var objects: Int
    public var views: Int
    /// Image height (and width, unless `width` says otherwise).
    public var resolution: Int
    /// Image width where it differs from the height (nil: square).
    public var width: Int?
    public var supersample: Int
    public var depth: Bool
    public var styles: [String: Int]
    /// Fingerprint of every setting that decides the objects' files (scene, seed, protocol, sizes,
    /// light, styles): a rerun into the same folder with the same fingerprint resumes, skipping
    /// objects already complete; nil in files from before resuming existed.
    public var generation: String?

    public init(
        scene: String, sceneFile: String, seed: UInt64, protocol: String, objects: Int, views: Int, resolution: Int,
        supersample: Int, depth: Bool, styles: [String: Int]
    ) {
        self.scene = scene
        self.sceneFile = sceneFile
        self.seed = seed
        self.protocol = `protocol`
        self.objects = objects
        self.views = views
        self.resolution = resolution
        self.supersample = supersample
        self.depth = depth
        self.styles = styles
    }

    /// The manifest of a dataset folder, or nil for data made elsewhere.
    public static func read(_ root: String) -> DatasetManifest? {
        guard let data = try? ReadFile.data(root + "/dataset.json", limit: 1 << 20, what: "dataset manifest") else {
            return nil
        }
        return try? JSONDecoder().decode(DatasetManifest.self, from: data)
    }
}
