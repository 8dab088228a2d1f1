import FileIO
import Foundation

// Views are H W 3 bytes each, packed one object after another.

/// Training views as 8-bit sRGB, packed, either in memory or in a memory-mapped scratch file. The
/// file is unlinked as soon as it is created, so it never outlives the process, and its pages are
/// the kernel's to evict: a 1000 x 50 x 128² set (2.5 GB) trains without holding 2.5 GB of the
/// process's own memory, and 256² sets train where RAM would not hold them.
final class ViewStore: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let byteCount: Int
    let mapped: Bool

    /// `byteCount` zeroed bytes of ordinary memory (small sets, tests, benchmarks).
    public init(inMemory byteCount: Int) {
        self.byteCount = byteCount
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, byteCount))
        base.initialize(repeating: 0, count: max(1, byteCount))
        mapped = false
    }

    init(mapping fd: Int32, byteCount: Int, path: String) throws {
        self.byteCount = byteCount
        let size = max(1, byteCount)
        if byteCount == 0 { _ = ftruncate(fd, 1) }
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw FileError(path: path, reason: "cannot map the view cache: \(String(cString: strerror(errno)))")
        }
        base = p.bindMemory(to: UInt8.self, capacity: size)
        mapped = true
    }

    deinit {
        if mapped { munmap(base, max(1, byteCount)) } else { base.deallocate() }
    }

    /// Appends views to a scratch file from several threads, then maps it.
    final class Writer: @unchecked Sendable {
        let fd: Int32
        let path: String
        var cursor = 0
        let lock = NSLock()

        /// A new scratch file in `directory`; the error names it.
        public init(directory: String) throws {
            path = (directory as NSString).appendingPathComponent(
                "nerfinv-views-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).u8")
            fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else {
                throw FileError(path: path, reason: "cannot create the view cache: \(String(cString: strerror(errno)))")
            }
            unlink(path)  // the open descriptor and then the mapping keep the data alive
        }

        deinit { close(fd) }

        /// Writes `bytes` after everything appended so far; returns their offset.
        func append(_ bytes: UnsafeRawBufferPointer) throws -> Int {
            lock.lock()
            let offset = cursor
            cursor += bytes.count
            lock.unlock()
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                guard n > 0 else {
                    throw FileError(
                        path: path, reason: "cannot write the view cache: \(String(cString: strerror(errno)))")
                }
                done += n
            }
            return offset
        }

        /// The store of everything appended, mapped read-only.
        func finish() throws -> ViewStore {
            lock.lock()
            defer { lock.unlock() }
            return try ViewStore(mapping: fd, byteCount: cursor, path: path)
        }
    }
}
