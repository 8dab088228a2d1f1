import Foundation
import XCTest

@testable import Pipeline

/// The viewer's request parser and WebSocket frames: limits judged before the bytes past them are
/// looked at, refusals with their statuses, and well-formed requests and frames read back.
final class ViewerProtocolTests: XCTestCase {
    func parse(_ text: String, _ limits: HTTPLimits = HTTPLimits()) -> HTTPParse {
        HTTPRequestParser.parse(Array(text.utf8), limits: limits)
    }

    func status(_ p: HTTPParse) -> Int? {
        if case .refused(let s, _) = p { return s }
        return nil
    }

    func testRequestHeads() throws {
        let text =
            "GET /api/frame?latent=0&az=40.5&edit=pc1%3A1%3Bpc2%3A-2&name=a+b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            + "Connection: close\r\nCookie: x=1\r\n\r\nrest"
        guard case .head(let head, let consumed) = parse(text) else { return XCTFail("\(parse(text))") }
        XCTAssertEqual(consumed, text.utf8.count - 4)
        XCTAssertEqual(head.method, "GET")
        XCTAssertEqual(head.path, "/api/frame")
        XCTAssertEqual(head.query, ["latent": "0", "az": "40.5", "edit": "pc1:1;pc2:-2", "name": "a b"])
        XCTAssertEqual(head.header("host"), "127.0.0.1:8080")
        XCTAssertFalse(head.keepAlive)
        XCTAssertEqual(head.contentLength, 0)
        // Bare LF line ends are read too; a head cut short waits for more.
        guard case .head(let lf, _) = parse("POST /api/photo HTTP/1.1\nHost: h\nContent-Length: 12\n\n") else {
            return XCTFail()
        }
        XCTAssertEqual(lf.contentLength, 12)
        XCTAssertTrue(lf.keepAlive)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: h\r\n"), .needMore)
        XCTAssertEqual(parse("GET /api/info?latent=0&la"), .needMore)
    }

    func testRefusals() {
        var small = HTTPLimits()
        small.requestLine = 64
        small.headBytes = 128
        small.headerCount = 3
        // Limits judged on what has arrived, without waiting for the line's end.
        XCTAssertEqual(status(parse("GET /" + String(repeating: "a", count: 100), small)), 414)
        XCTAssertEqual(
            status(parse("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 200), small)), 431)
        XCTAssertEqual(
            status(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small)), 431, "four headers")
        for (request, expected) in [
            ("GET / HTTP/2.0\r\n\r\n", 505), ("GET http://x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("get / HTTP/1.1\r\nHost: h\r\n\r\n", 400), ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e9\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost: h\u{1}\r\n\r\n", 400),
            ("GET /?a=1&a=2 HTTP/1.1\r\nHost: h\r\n\r\n", 400), ("GET /?a=%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /?a=%ff HTTP/1.1\r\nHost: h\r\n\r\n", 400), ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ] {
            XCTAssertEqual(status(parse(request)), expected, request)
        }
        // A 256 KB request line is refused from its first 8 KB, in well under a second.
        let t0 = Date()
        XCTAssertEqual(status(parse("GET /?" + String(repeating: "x", count: 256 << 10))), 414)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.5)
    }

    func testNumbersAreCheckedBeforeConversion() {
        XCTAssertEqual(ViewerLimits.number("40.5"), 40.5)
        XCTAssertEqual(ViewerLimits.number("-1e-3"), -0.001)
        for bad in ["1e300000", "nan", "inf", "0x10", "", String(repeating: "1", count: 40), "1 ", "١٢"] {
            XCTAssertNil(ViewerLimits.number(bad), bad)
        }
        XCTAssertEqual(ViewerLimits.index("12"), 12)
        for bad in ["-1", "99999999999999999999", "1e3", "+1", ""] { XCTAssertNil(ViewerLimits.index(bad), bad) }
        XCTAssertEqual(ViewerLimits.sequence("4294967295"), .max)
        XCTAssertNil(ViewerLimits.sequence("4294967296"))
        if case .success = FrameRequest.parse(["size": "1e300"]) { XCTFail("size 1e300 taken") }
        if case .success = FrameRequest.parse(["edit": "pc1:1e39"]) { XCTFail("edit 1e39 taken") }
    }

    /// A client frame: header, mask, payload XORed with it.
    static func clientFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, statedLength: UInt64? = nil)
        -> [UInt8]
    {
        let n = statedLength ?? UInt64(payload.count)
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if n < 126 {
            out.append(0x80 | UInt8(n))
        } else if n <= 0xFFFF {
            out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(0x80 | 127)
            for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: n >> UInt64(s))) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    func testWebSocketFrames() {
        let text = Array("seq=1&size=64".utf8)
        let bytes = Self.clientFrame(1, text)
        XCTAssertEqual(WebSocketFrame.decode(Array(bytes.prefix(5)), maxPayload: 4096), .needMore)
        XCTAssertEqual(
            WebSocketFrame.decode(bytes + [9, 9], maxPayload: 4096),
            .frame(WebSocketFrame(opcode: .text, payload: text), consumed: bytes.count))
        // A frame announcing 150 MB is refused from its ten header bytes.
        let huge = Array(Self.clientFrame(2, [], statedLength: 150 << 20).prefix(10))
        guard case .refused(.tooBig, _) = WebSocketFrame.decode(huge, maxPayload: 4096) else { return XCTFail() }
        guard case .refused(.protocolError, _) = WebSocketFrame.decode([0x81, 0x01, 0x41], maxPayload: 4096) else {
            return XCTFail("an unmasked client frame is refused")
        }
        guard
            case .refused(.protocolError, _) = WebSocketFrame.decode(
                Self.clientFrame(9, [], fin: false), maxPayload: 4096)
        else { return XCTFail("a fragmented ping is refused") }
        guard case .refused(.protocolError, _) = WebSocketFrame.decode([0xC1, 0x80, 0, 0, 0, 0], maxPayload: 4096)
        else {
            return XCTFail("reserved bits are refused")
        }
        // Server frames: the three length forms, unmasked.
        for n in [5, 300, 70000] {
            let e = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 7, count: n)).encoded
            XCTAssertEqual(e.count, n + (n < 126 ? 2 : n <= 0xFFFF ? 4 : 10))
            XCTAssertEqual(e[0], 0x82)
        }
        // RFC 6455's example key.
        XCTAssertEqual(WebSocketFrame.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testAccess() {
        func head(_ headers: [(String, String)], query: [String: String] = [:]) -> HTTPRequestHead {
            HTTPRequestHead(
                method: "GET", path: "/api/info", query: query, version: "HTTP/1.1", headers: headers, contentLength: 0)
        }
        let local = ViewerAccess(host: "127.0.0.1", port: 8080, token: nil)
        XCTAssertNil(local.refusal(head([("host", "127.0.0.1:8080")])))
        XCTAssertNil(local.refusal(head([("host", "localhost:8080"), ("origin", "http://localhost:8080")])))
        XCTAssertEqual(local.refusal(head([("host", "evil.example:8080")]))?.status, 421, "DNS rebinding")
        XCTAssertEqual(local.refusal(head([("host", "127.0.0.1:9999")]))?.status, 421)
        XCTAssertEqual(
            local.refusal(head([("host", "127.0.0.1:8080"), ("origin", "http://evil.example")]))?.status, 403,
            "another site's script")
        XCTAssertEqual(local.refusal(head([("host", "127.0.0.1:8080"), ("origin", "null")]))?.status, 403)
        let open = ViewerAccess(host: "0.0.0.0", port: 8080, token: "abc123")
        XCTAssertEqual(open.refusal(head([("host", "10.0.0.5:8080")]))?.status, 403, "no token")
        XCTAssertEqual(open.refusal(head([("host", "10.0.0.5:8080")], query: ["token": "abc12"]))?.status, 403)
        XCTAssertNil(open.refusal(head([("host", "10.0.0.5:8080")], query: ["token": "abc123"])))
        XCTAssertNil(open.refusal(head([("host", "10.0.0.5:8080"), ("cookie", "a=b; nerfinv_token=abc123")])))
        XCTAssertTrue(open.cookie!.contains("HttpOnly") && open.cookie!.contains("SameSite=Strict"))
        XCTAssertEqual(ViewerAccess.makeToken().count, 32)
    }
}
