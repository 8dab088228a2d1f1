import FileIO
import Foundation

// RFC 6455 frames as the viewer's stream speaks them: client frames masked and small (state
// messages), server frames unmasked. A frame's length is judged from its header, before any of
// its payload is read (the library used before buffered a 150 MB frame whole).

/// One WebSocket frame.
public struct WebSocketFrame: Sendable, Equatable {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10
        var isControl: Bool { rawValue >= 8 }
    }
    public var fin = true
    public var opcode: Opcode
    public var payload: [UInt8]

    public init(fin: Bool = true, opcode: Opcode, payload: [UInt8]) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
    }

    /// Status codes of a close frame the viewer sends.
    public enum CloseCode: UInt16, Sendable {
        case normal = 1000, protocolError = 1002, unsupported = 1003, tooBig = 1009
    }

    /// The frame's bytes as a server sends them (unmasked).
    public var encoded: [UInt8] { encoded(mask: nil) }

    /// The frame's bytes, masked with `mask` (4 bytes) as a client sends them, or unmasked.
    public func encoded(mask: [UInt8]?) -> [UInt8] {
        let flag: UInt8 = mask == nil ? 0 : 0x80
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
        let n = payload.count
        if n < 126 {
            out.append(flag | UInt8(n))
        } else if n <= 0xFFFF {
            out += [flag | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(flag | 127)
            for s in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(s)))
            }
        }
        guard let mask else { return out + payload }
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    /// A close frame with its status code and a short reason.
    public static func close(_ code: CloseCode, _ reason: String = "") -> WebSocketFrame {
        WebSocketFrame(
            opcode: .close,
            payload: [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + Array(reason.utf8.prefix(120)))
    }

    /// What the decoder makes of the bytes so far.
    public enum Decode: Sendable, Equatable {
        case needMore
        case frame(WebSocketFrame, consumed: Int)
        /// Refused: the close code to send and why (the connection then closes).
        case refused(CloseCode, String)
    }

    /// Decodes one client frame at the start of `bytes`: masked, no reserved bits, control frames
    /// whole and under 126 bytes, payloads at most `maxPayload` bytes. `fromServer`: a server's
    /// frame instead, unmasked (the load test's clients read them).
    public static func decode(_ bytes: [UInt8], maxPayload: Int, fromServer: Bool = false) -> Decode {
        guard bytes.count >= 2 else { return .needMore }
        let b0 = bytes[0], b1 = bytes[1]
        guard b0 & 0x70 == 0 else { return .refused(.protocolError, "reserved bits set") }
        guard let opcode = Opcode(rawValue: b0 & 0x0F) else { return .refused(.protocolError, "unknown opcode") }
        guard (b1 & 0x80 != 0) != fromServer else {
            return .refused(
                .protocolError, fromServer ? "server frames are not masked" : "client frames must be masked")
        }
        let fin = b0 & 0x80 != 0
        var length = UInt64(b1 & 0x7F)
        var at = 2
        if length == 126 {
            guard bytes.count >= 4 else { return .needMore }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            at = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMore }
            length = bytes[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
            at = 10
        }
        if opcode.isControl && (!fin || length > 125) {
            return .refused(.protocolError, "control frames are whole and under 126 bytes")
        }
        guard length <= UInt64(maxPayload) else {
            return .refused(.tooBig, "messages are limited to \(maxPayload) bytes")
        }
        let n = Int(length), maskBytes = fromServer ? 0 : 4
        guard bytes.count >= at + maskBytes + n else { return .needMore }
        let mask = fromServer ? [0, 0, 0, 0] : Array(bytes[at..<(at + 4)])
        at += maskBytes
        var payload = [UInt8](repeating: 0, count: n)
        for i in 0..<n { payload[i] = bytes[at + i] ^ mask[i & 3] }
        return .frame(WebSocketFrame(fin: fin, opcode: opcode, payload: payload), consumed: at + n)
    }

    /// The `Sec-WebSocket-Accept` answer to a client's key.
    public static func acceptKey(_ key: String) -> String {
        Data(Fingerprint.sha1(Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }
}
