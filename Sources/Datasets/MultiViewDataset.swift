import FileIO
import Foundation

/// A folder of objects in either layout nerfinv reads: ShapeNet-SRN object folders (intrinsics.txt,
/// rgb/, pose/) or NeRF-synthetic scene folders (transforms_train.json), mixed freely.
public enum MultiViewDataset {
    public enum Layout: Sendable { case srn, nerfSynthetic }

    /// The layout of one object folder, or nil if it is neither.
    public static func layout(of dir: String) -> Layout? {
        if FileManager.default.fileExists(atPath: dir + "/intrinsics.txt") { return .srn }
        if FileManager.default.fileExists(atPath: dir + "/transforms_train.json") { return .nerfSynthetic }
        return nil
    }

    /// Object folders under a root, sorted. Hidden folders are not objects: `generate` writes each
    /// object into `.<id>.partial` and renames it when whole, so a set being made reads as its
    /// finished objects.
    public static func objectIDs(root: String) throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            throw FileError(path: root, reason: "cannot list the dataset folder (does it exist?)")
        }
        return entries.filter { !$0.hasPrefix(".") && layout(of: "\(root)/\($0)") != nil }.sorted()
    }

    /// One object's posed views (NeRF-synthetic: its train split).
    public static func loadObject(_ dir: String) throws -> MultiViewObject {
        switch layout(of: dir) {
        case .srn: return try SRNDataset.loadObject(dir, withDepth: false)
        case .nerfSynthetic: return try NerfSyntheticDataset.load(dir, split: "train")
        case nil:
            throw FileError(
                path: dir,
                reason: "not an object folder: no intrinsics.txt (SRN) or transforms_train.json (NeRF-synthetic)")
        }
    }
}
