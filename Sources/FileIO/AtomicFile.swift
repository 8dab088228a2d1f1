import CShims
import Foundation

/// Writes that never leave a half-written file under the final name: data goes to a temporary
/// file beside the target, which is renamed over it only once complete. Inside `transaction`,
/// the renames of every file written wait until all of them succeeded, so a command that writes
/// several files (a latent and its pictures, an image and its depth) changes none when one fails.
/// A rewritten file keeps its permissions, and a symlinked output is written through to its target.
public enum AtomicFile {
    /// From now on SIGINT, SIGTERM and SIGHUP remove the temporary files of writes in progress (and
    /// of a transaction's files waiting for their rename) before they end the process; `nerfinv`
    /// installs this first thing. A command that stops cleanly on a signal instead (`train`,
    /// `view`: `Compute.catchStopSignals`) replaces it and finishes its writes.
    public static func removeTemporariesOnInterrupt() { nv_temp_install_handlers() }

    /// A temporary path in the same directory (so the rename stays on one file system).
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    }

    /// Files written inside the current transaction, waiting to be renamed into place.
    final class Staging: @unchecked Sendable {
        var files: [(temporary: String, final: String, slot: Int32)] = []
    }
    @TaskLocal static var staging: Staging?

    /// Runs `body`; every atomic write inside it is renamed into place only after `body` returned
    /// without error. On error the temporary files are removed and nothing on disk has changed.
    /// A transaction inside another joins it: its files wait for the outer one's end.
    public static func transaction<T>(_ body: () throws -> T) throws -> T {
        if Self.staging != nil { return try body() }
        let staging = Staging()
        let result: T
        do {
            result = try $staging.withValue(staging) { try body() }
        } catch {
            for f in staging.files { discard(f.temporary, slot: f.slot) }
            throw error
        }
        for (k, f) in staging.files.enumerated() {
            guard rename(f.temporary, f.final) == 0 else {
                let reason = String(cString: strerror(errno))
                for g in staging.files[k...] { discard(g.temporary, slot: g.slot) }
                throw FileError(path: f.final, reason: "cannot move the finished file into place: \(reason)")
            }
            nv_temp_unregister(f.slot)
        }
        return result
    }

    /// Where a write to `path` lands: the final target when `path` is a symlink (written through, so
    /// the link stays a link), else `path`.
    static func destination(_ path: String) -> String {
        var isLink = false
        if let attrs = try? FileManager.default.attributesOfItem(atPath: path),
            attrs[.type] as? FileAttributeType == .typeSymbolicLink
        {
            isLink = true
        }
        guard isLink, let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Runs `write` on a temporary path, then renames it to `path` (or, in a transaction, leaves
    /// that to the transaction's end). On any error the temporary file is removed and the existing
    /// file at `path`, if any, is untouched.
    public static func write(to path: String, _ write: (String) throws -> Void) throws {
        let target = destination(path)
        let dir = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(path: path, reason: "the folder \(dir) does not exist")
        }
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDir), isDir.boolValue {
            throw FileError(path: path, reason: "is a folder; give a file name")
        }
        let tmp = temporaryPath(for: target)
        // Registered before the file exists, so that a signal during the write removes it.
        let slot = nv_temp_register(tmp)
        do {
            try write(tmp)
            // An existing file keeps its permissions (a 0600 output stays private).
            var st = stat()
            if stat(target, &st) == 0 { chmod(tmp, st.st_mode & 0o7777) }
        } catch {
            discard(tmp, slot: slot)
            throw FileErrors.described(error, path: path)
        }
        if let staging {
            staging.files.append((tmp, target, slot))
            return
        }
        if rename(tmp, target) != 0 {
            let reason = String(cString: strerror(errno))
            discard(tmp, slot: slot)
            throw FileError(path: path, reason: "cannot move the finished file into place: \(reason)")
        }
        nv_temp_unregister(slot)
    }

    /// Removes a temporary file and forgets it.
    static func discard(_ tmp: String, slot: Int32) {
        unlink(tmp)
        nv_temp_unregister(slot)
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { tmp in
            guard FileManager.default.createFile(atPath: tmp, contents: data) else {
                throw FileError(path: path, reason: "cannot write (\(FileErrors.systemReason(errno)))")
            }
        }
    }
}
