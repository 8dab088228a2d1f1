import Foundation

/// Turns system and Foundation errors into sentences a user can act on: no error domains or codes
/// reach the terminal, and a full disk says so.
public enum FileErrors {
    /// strerror's text, with the common cases said plainly.
    public static func systemReason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "the disk is full"
        case EDQUOT: return "the disk quota is exhausted"
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "the file system is read-only"
        case ENOENT: return "no such file or folder"
        case EISDIR: return "is a folder"
        case ENOTDIR: return "a part of the path is a file, not a folder"
        default: return String(cString: strerror(code))
        }
    }

    /// `error` as a `FileError` about `path`: a `FileError` stays as it is; Cocoa and POSIX errors
    /// get a plain reason.
    public static func described(_ error: Error, path: String) -> Error {
        if error is FileError { return error }
        if let posix = error as? POSIXError { return FileError(path: path, reason: systemReason(posix.code.rawValue)) }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return FileError(path: path, reason: systemReason(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteFileExists: return FileError(path: path, reason: "already exists")
            case .fileWriteNoPermission, .fileReadNoPermission:
                return FileError(path: path, reason: "permission denied")
            case .fileWriteOutOfSpace: return FileError(path: path, reason: "the disk is full")
            case .fileNoSuchFile, .fileReadNoSuchFile: return FileError(path: path, reason: "no such file or folder")
            case .fileWriteVolumeReadOnly: return FileError(path: path, reason: "the file system is read-only")
            default: return FileError(path: path, reason: "cannot be written or read")
            }
        }
        return error
    }
}
