import Foundation

/// Reads a whole small file after checking what it is: a folder, a FIFO (which would block the
/// read forever), a socket or a device is refused by name, and so is a file above `limit` bytes,
/// before anything is read.
public enum ReadFile {
    public static func data(_ path: String, limit: Int, what: String = "file") throws -> Data {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw FileError(path: path, reason: "cannot read the \(what): \(FileErrors.systemReason(errno))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileError(path: path, reason: "is a folder, not a \(what)")
        default: throw FileError(path: path, reason: "is not a regular file (a FIFO, socket or device), not a \(what)")
        }
        guard Int(st.st_size) <= limit else {
            throw FileError(path: path, reason: "is \(st.st_size) bytes, too large for a \(what) (limit \(limit))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, reason: "cannot read the \(what): \(FileErrors.systemReason(errno))")
        }
        return data
    }
}
