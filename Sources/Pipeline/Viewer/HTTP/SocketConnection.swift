import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted TCP connection, read and written with deadlines (poll before every call, so no
/// call blocks past its deadline), and written under a lock (the stream's render thread and its
/// reader both send).
final class SocketConnection: @unchecked Sendable {
    let fd: Int32
    /// The peer's address, for messages.
    let peer: String
    private let writeLock = NSLock()
    private let stateLock = NSLock()
    private var closed = false

    init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
        var on: Int32 = 1
        // Frames are written whole; Nagle would hold the last packet of each for an ACK.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        // A peer gone mid-write must not raise SIGPIPE in the whole process.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// The descriptor is released only here, when no thread can still poll it: closing it while
    /// another thread waits on it would let a new connection take the same number.
    deinit { _ = Glibc.close(fd) }

    enum Failure: Error { case timedOut, closed, failed(Int32) }

    /// A client's connection to 127.0.0.1:`port` (the load test's clients).
    static func connect(loopbackPort port: UInt16) throws -> SocketConnection {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw Failure.failed(errno) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard r == 0 else {
            let e = errno
            _ = Glibc.close(s)
            throw Failure.failed(e)
        }
        return SocketConnection(fd: s, peer: "127.0.0.1")
    }

    /// Waits until `fd` is ready for `events` or the deadline passes (or the connection closes).
    private func wait(_ events: Int16, until deadline: Date) throws {
        while true {
            if isClosed { throw Failure.closed }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { throw Failure.timedOut }
            var p = pollfd(fd: fd, events: events, revents: 0)
            // Short slices, so that `close()` from another thread is seen promptly.
            let r = poll(&p, 1, Int32(min(left, 0.25) * 1000) + 1)
            if r > 0 { return }
            if r < 0 && errno != EINTR { throw Failure.failed(errno) }
        }
    }

    /// Reads up to `max` bytes (at least one) before `deadline`; an empty result is the peer's close.
    func read(max: Int, until deadline: Date) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            try wait(Int16(POLLIN), until: deadline)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return [] }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
            throw Failure.failed(errno)
        }
    }

    /// Writes every byte before `deadline` or fails; writers take turns.
    func write(_ bytes: [UInt8], until deadline: Date) throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        var at = 0
        while at < bytes.count {
            try wait(Int16(POLLOUT), until: deadline)
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + at, bytes.count - at, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                at += n
            } else if n < 0 && !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                throw Failure.failed(errno)
            }
        }
    }

    var isClosed: Bool { stateLock.withLock { closed } }

    /// Ends the connection: both directions shut (a thread waiting on it wakes), the descriptor
    /// kept until the last reference goes.
    func close() {
        let first = stateLock.withLock {
            defer { closed = true }
            return !closed
        }
        if first { _ = shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
