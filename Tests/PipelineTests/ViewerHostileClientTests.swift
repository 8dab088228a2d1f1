import Foundation
import Model
import TestSupport
import XCTest

@testable import Pipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The viewer against what a hostile page or a careless client sends, over raw sockets: each case
/// one the server it replaced mishandled (a crash, an answer to a renamed host, unbounded memory
/// or CPU), and after each the server still answers.
final class ViewerHostileClientTests: XCTestCase {
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    func startServer(token: String? = nil, host: String = "127.0.0.1", limits: ServerLimits = ServerLimits()) throws
        -> (ViewerServer, UInt16, ViewerSession)
    {
        let (model, _) = try NeRFModel.load(repoRoot + "/models/cars_gen1.nvm")
        let dir = NSTemporaryDirectory() + "viewer-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try LatentEditing.fresh(model: model, identity: model.meanCode, method: "mean").write(to: dir + "/mean.latent")
        let session = try ViewerSession(model: model, latents: [dir + "/mean.latent"])
        let server = try ViewerServer(session: session, host: host, port: 0, token: token, limits: limits)
        Task { try await server.run() }
        return (server, server.listener.port, session)
    }

    func get(_ port: UInt16, _ target: String, headers: String = "") throws -> Int? {
        let c = try RawClient(port: port)
        c.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\(headers)\r\n")
        return c.status()
    }

    func upgrade(_ port: UInt16, origin: String, receiveBuffer: Int32? = nil) throws -> RawClient {
        let c = try RawClient(port: port, receiveBuffer: receiveBuffer)
        c.send(
            "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: \(origin)\r\n\r\n"
        )
        return c
    }

    func masked(_ opcode: UInt8, _ payload: [UInt8], statedLength: UInt64? = nil) -> [UInt8] {
        ViewerProtocolTests.clientFrame(opcode, payload, statedLength: statedLength)
    }

    func testHostileRequestsAreRefusedAndTheServerGoesOn() throws {
        var limits = ServerLimits()
        limits.headSeconds = 1.5
        limits.streamWriteSeconds = 1
        limits.maxConnections = 8
        let (server, port, _) = try startServer(limits: limits)
        defer { Task { await server.stop() } }
        XCTAssertEqual(try get(port, "/api/info"), 200)
        // A size past every integer used to stop the server (SIGILL).
        XCTAssertEqual(try get(port, "/api/frame?latent=0&size=1e300"), 400)
        XCTAssertEqual(try get(port, "/api/frame?latent=99999999999999999999999"), 400)
        // DNS rebinding: the page at evil.example, renamed to 127.0.0.1, names its own host.
        let rebound = try RawClient(port: port)
        rebound.send("GET /api/input?latent=0 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        XCTAssertEqual(rebound.status(), 421)
        // Another site's script: a photo, a download, a WebSocket.
        XCTAssertEqual(try get(port, "/api/mesh.glb?latent=0", headers: "Origin: http://evil.example\r\n"), 403)
        XCTAssertEqual(try upgrade(port, origin: "http://evil.example").status(), 403)
        // Meshes and GIFs are made one at a time: a second while one is being made is told to wait.
        let first = try RawClient(port: port, timeout: 30)
        first.send("GET /api/mesh.glb?latent=0 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(try get(port, "/api/turntable.gif?latent=0"), 429)
        XCTAssertEqual(try get(port, "/api/info"), 200, "the page's other requests go on beside it")
        XCTAssertEqual(first.status(), 200)
        // The page's own WebSocket: a state in, a frame out.
        let ws = try upgrade(port, origin: "http://127.0.0.1:\(port)")
        let handshake = String(decoding: ws.receive(atLeast: 129), as: UTF8.self)
        XCTAssertTrue(handshake.hasPrefix("HTTP/1.1 101"), handshake)
        XCTAssertTrue(handshake.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), handshake)
        ws.send(masked(1, Array("seq=3&latent=0&size=16".utf8)))
        let frame = ws.receive(atLeast: 2 + 2 + 8 + 16 * 16 * 4)
        XCTAssertEqual(Array(frame.prefix(2)), [0x82, 126])
        XCTAssertEqual(Array(frame[4..<8]), [3, 0, 0, 0], "the state's number")
        // A frame announcing 150 MB: closed with 1009 from its header, nothing buffered.
        ws.send(Array(masked(2, [], statedLength: 150 << 20).prefix(14)))
        let close = ws.receive()
        XCTAssertEqual(Array(close.prefix(4)), [0x88, close.count >= 2 ? close[1] : 0, 0x03, 0xF1], "close 1009")
        // A 256 KB request line is refused at its limit, at once.
        let t0 = Date()
        let long = try RawClient(port: port)
        long.send("GET /?" + String(repeating: "x", count: 256 << 10) + " HTTP/1.1\r\n")
        XCTAssertEqual(long.status(), 414)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
        // A client that sends half a head and waits is closed after headSeconds.
        let slow = try RawClient(port: port)
        slow.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n")
        let t1 = Date()
        XCTAssertEqual(slow.receive(), [])
        XCTAssertLessThan(Date().timeIntervalSince(t1), 3)
        // A stream client that never reads: its states collapse to the newest, at most one frame is
        // being written, and the connection is closed once a frame cannot be written in time.
        func settled(_ n: Int, within seconds: Double) -> Bool {
            let until = Date().addingTimeInterval(seconds)
            while server.listener.openConnections > n && Date() < until { Thread.sleep(forTimeInterval: 0.05) }
            return server.listener.openConnections <= n
        }
        XCTAssertTrue(settled(0, within: 3), "the answered clients' connections are closed")
        do {
            let deaf = try upgrade(port, origin: "http://127.0.0.1:\(port)", receiveBuffer: 4096)
            // Its handshake read (so the server has taken it), then nothing more.
            XCTAssertTrue(String(decoding: deaf.receive(atLeast: 129), as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            let t2 = Date()
            var k = 0
            while server.listener.openConnections > 0 && Date().timeIntervalSince(t2) < 20 {
                deaf.send(masked(1, Array("seq=\(k)&latent=0&size=512".utf8)))
                k += 1
                Thread.sleep(forTimeInterval: 0.02)
            }
            XCTAssertEqual(server.listener.openConnections, 0, "a client that does not read is closed")
            XCTAssertLessThan(Date().timeIntervalSince(t2), 20)
        }
        // Connections past the limit are told 503, and service resumes when they go.
        var idle: [RawClient] = []
        for _ in 0..<limits.maxConnections { idle.append(try RawClient(port: port)) }
        let until = Date().addingTimeInterval(5)
        while server.listener.openConnections < limits.maxConnections && Date() < until {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let counted = server.listener.openConnections
        let extra = try RawClient(port: port)
        let said = String(decoding: extra.receive(), as: UTF8.self)
        XCTAssertTrue(said.hasPrefix("HTTP/1.1 503"), said + " open \(counted) then \(server.listener.openConnections)")
        idle.removeAll()
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(try get(port, "/api/info"), 200)
    }

    func testTokenOffLoopback() throws {
        let (server, port, _) = try startServer(token: "0123456789abcdef", host: "0.0.0.0")
        defer { Task { await server.stop() } }
        XCTAssertEqual(try get(port, "/"), 403)
        XCTAssertEqual(try get(port, "/api/info?token=wrong"), 403)
        let c = try RawClient(port: port)
        c.send("GET /?token=0123456789abcdef HTTP/1.1\r\nHost: 10.1.2.3:\(port)\r\nConnection: close\r\n\r\n")
        let page = String(decoding: c.receive(), as: UTF8.self)
        XCTAssertTrue(page.hasPrefix("HTTP/1.1 200"), String(page.prefix(200)))
        XCTAssertTrue(page.contains("Set-Cookie: nerfinv_token=0123456789abcdef"))
        XCTAssertEqual(try get(port, "/api/info", headers: "Cookie: nerfinv_token=0123456789abcdef\r\n"), 200)
    }
}
