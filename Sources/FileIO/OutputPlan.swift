import Foundation

/// A command's outputs, checked before any work: none names one of its inputs (after following
/// symlinks and `..`; a latent's inputs include the tuned decoder beside it), no two name the same
/// file, none is a folder where a file goes (or a file where a folder goes), and every destination
/// folder exists or is created and is writable. A long run then cannot fail at its end on a bad
/// path, a photo can never be overwritten by its own latent, and `--out k.glb --preview k.glb`
/// is refused before either is written.
public struct OutputPlan {
    let inputs: [(given: String, resolved: String)]
    public private(set) var files: [String] = []
    /// Each file output's resolved path, and the output it was given as.
    private var claimed: [String: String] = [:]

    public init(inputs: [String]) {
        self.inputs = inputs.map { ($0, Self.resolve($0)) }
    }

    /// The absolute path with symlinks and `..` resolved, following as much of it as exists.
    public static func resolve(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let r = realpath(url.path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        let parent = url.deletingLastPathComponent()
        guard parent.path != url.path else { return url.path }
        return URL(fileURLWithPath: resolve(parent.path)).appendingPathComponent(url.lastPathComponent).path
    }

    func refuseInput(_ path: String) throws {
        let r = Self.resolve(path)
        if let hit = inputs.first(where: { $0.resolved == r }) {
            throw FileError(
                path: path,
                reason: "is also an input (\(hit.given)); writing it would destroy the input: choose another output")
        }
    }

    /// A file output: not an input, not another output, not a folder, its folder created if missing
    /// and writable. `bringing`: files written or removed with it (a latent's tuned-decoder delta),
    /// held to the same rules.
    public mutating func add(file path: String, bringing companions: [String] = []) throws {
        for companion in companions {
            do { try claim(companion) } catch let e as FileError {
                throw FileError(path: path, reason: "comes with \(companion), which \(e.reason)")
            }
        }
        try claim(path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FileError(path: path, reason: "is a folder; give a file name")
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try Self.prepareFolder(dir.isEmpty ? "." : dir, for: path)
        files.append(path)
    }

    /// Refuses `path` if it is an input or an output already planned; else claims it.
    mutating func claim(_ path: String) throws {
        try refuseInput(path)
        let r = Self.resolve(path)
        if let other = claimed[r] {
            throw FileError(
                path: path,
                reason: other == path
                    ? "is given twice as an output; each output needs its own name"
                    : "is the same file as the output \(other); each output needs its own name")
        }
        claimed[r] = path
    }

    /// A folder output (frames, renders): not a file, created if missing, writable; files later
    /// written into it are checked against the inputs by `add(file:)` where they are known.
    public mutating func add(folder path: String) throws {
        try refuseInput(path)
        try Self.prepareFolder(path, for: path)
    }

    static func prepareFolder(_ dir: String, for path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw FileError(path: path, reason: "\(dir) is a file, not a folder")
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw FileError(
                    path: path, reason: "cannot create the folder \(dir): \(FileErrors.described(error, path: dir))")
            }
        }
        guard access(dir, W_OK) == 0 else {
            throw FileError(path: path, reason: "the folder \(dir) is not writable (\(FileErrors.systemReason(errno)))")
        }
    }
}
