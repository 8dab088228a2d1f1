import Foundation

/// Writes that never leave a half-written file under the final name: data goes to a temporary
/// file beside the target, which is renamed over it only once complete.
public enum AtomicFile {
    /// A temporary path in the same directory (so the rename stays on one file system).
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    }

    /// Runs `write` on a temporary path, then renames it to `path`. On any error the temporary file
    /// is removed and the existing file at `path`, if any, is untouched.
    public static func write(to path: String, _ write: (String) throws -> Void) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(path: path, reason: "the folder \(dir) does not exist")
        }
        let tmp = temporaryPath(for: path)
        do {
            try write(tmp)
        } catch {
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw FileError(path: path, reason: "cannot move the finished file into place: \(reason)")
        }
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { tmp in
            guard FileManager.default.createFile(atPath: tmp, contents: data) else {
                throw FileError(path: path, reason: "cannot write (\(String(cString: strerror(errno))))")
            }
        }
    }
}
