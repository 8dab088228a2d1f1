import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A listening IPv4 TCP socket whose accept loop hands each connection to its own thread, at most
/// `maxConnections` at once (the rest are told 503 and closed at once). Running out of descriptors
/// makes it wait and retry, never exit.
final class SocketListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    /// Connections served at once (`ServerLimits.maxConnections`).
    let maxConnections: Int
    private let lock = NSLock()
    private var open = 0
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    /// Pause before accepting again when the process is out of descriptors (EMFILE): the
    /// connections that hold them finish, or time out, meanwhile.
    static let descriptorRetry: useconds_t = 100_000
    /// Stack of a connection's thread: a request's work runs on it (frames fan out to the pool).
    static let threadStack = 1 << 20

    /// Binds `host` (dotted IPv4) at `port` (0: any free port) and listens.
    init(host: String, port: UInt16, maxConnections: Int = 64) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ViewerError("\(host) is not an IPv4 address")
        }
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw ViewerError("no socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        _ = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(s, 128) == 0 else {
            let why = String(cString: strerror(errno))
            _ = Glibc.close(s)
            throw ViewerError("cannot listen on \(host):\(port): \(why)")
        }
        var actual = sockaddr_in()
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &size) }
        }
        fd = s
        self.port = UInt16(bigEndian: actual.sin_port)
        self.maxConnections = maxConnections
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
    }

    deinit { _ = Glibc.close(fd) }

    /// Accepts until `stop()`, each connection served by `serve` on a thread of its own; returns
    /// when stopped.
    func run(_ serve: @escaping @Sendable (SocketConnection) -> Void) {
        defer { finished.signal() }
        while !lock.withLock({ stopped }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            var peer = sockaddr_in()
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            let c = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &size) }
            }
            if c < 0 {
                switch errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: usleep(Self.descriptorRetry)
                default: break  // EAGAIN (another took it), ECONNABORTED: go on
                }
                continue
            }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &peer.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
            let connection = SocketConnection(fd: c, peer: String(cString: text))
            let admitted = lock.withLock {
                guard open < maxConnections else { return false }
                open += 1
                return true
            }
            guard admitted else {
                let body = "the viewer is serving \(maxConnections) connections; try again\n"
                try? connection.write(
                    Array(
                        ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
                            + "Connection: close\r\nRetry-After: 1\r\n\r\n" + body).utf8),
                    until: Date().addingTimeInterval(1))
                connection.close()
                continue
            }
            let thread = Thread { [self] in
                serve(connection)
                connection.close()
                lock.withLock { open -= 1 }
            }
            thread.stackSize = Self.threadStack
            thread.start()
        }
    }

    /// Connections being served now.
    var openConnections: Int { lock.withLock { open } }

    /// Ends the accept loop (connections being served finish on their own).
    func stop() {
        lock.withLock { stopped = true }
    }

    /// Blocks until `run` has returned (after `stop()`), at most `timeout` seconds.
    func waitUntilStopped(timeout: Double) { _ = finished.wait(timeout: .now() + timeout) }
}
