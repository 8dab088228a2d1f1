import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failed connect, with its errno.
public struct RawClientError: Error { public let code: Int32 }

/// A blocking TCP client to 127.0.0.1 with a receive timeout: the viewer's tests speak raw HTTP
/// and WebSocket bytes with it, as a hostile client would.
public final class RawClient {
    public let fd: Int32
    public init(port: UInt16, timeout: Double = 5, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard r == 0 else {
            let code = errno
            close(fd)
            throw RawClientError(code: code)
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }
    /// Sends what it can (a server that closed early makes the rest fail quietly).
    public func send(_ bytes: [UInt8]) {
        var at = 0
        while at < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + at, bytes.count - at, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            at += n
        }
    }
    public func send(_ text: String) { send(Array(text.utf8)) }
    /// Reads until the peer closes, `count` bytes have come, or the timeout.
    public func receive(atLeast count: Int = .max) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
    /// The status of the answer read up to the peer's close (or the timeout).
    public func status() -> Int? {
        let text = String(decoding: receive(), as: UTF8.self)
        return text.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
