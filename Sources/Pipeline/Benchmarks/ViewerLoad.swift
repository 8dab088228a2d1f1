import Foundation
import Model

/// The viewer under load (`nerfinv bench viewer`): N clients dragging at once over the WebSocket
/// stream, as the page does (a new camera state whenever fewer than two are unanswered), while a
/// prober asks `/api/info` ten times a second on fresh connections; optionally with mesh downloads
/// running beside one client. Loopback only, at most `maxClients` clients and `maxSeconds` a row.
public enum ViewerLoad {
    public static let maxClients = 32
    public static let maxSeconds = 60.0

    /// One row: what the clients got and how long `/api/info` took.
    struct Row {
        var clients: Int
        var download: Bool
        var framesPerSecond: [Double]  // per client
        var longestGap: Double  // seconds between two frames of one client, the worst
        var infoSeconds: [Double]
        var downloads = 0
    }

    /// Runs a row per entry of `clients` (and one client beside mesh downloads when `download`),
    /// `seconds` each, frames of `size` pixels, against a viewer of `model`'s mean code.
    public static func run(model: NeRFModel, clients: [Int], seconds: Double, size: Int, download: Bool) throws
        -> BenchReport
    {
        let dir = NSTemporaryDirectory() + "nerfinv-bench-viewer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try LatentEditing.fresh(model: model, identity: model.meanCode, method: "mean").write(to: dir + "/mean.latent")
        let session = try ViewerSession(model: model, latents: [dir + "/mean.latent"])
        let server = try ViewerServer(session: session, port: 0)
        let serving = Thread { server.listener.run { server.serve($0) } }
        serving.start()
        defer {
            server.listener.stop()
            server.listener.waitUntilStopped(timeout: 2)
        }
        let port = server.listener.port
        let report = BenchReport()
        report.say(
            "viewer under load: 127.0.0.1, \(size)-pixel frames over the WebSocket stream, \(seconds) s a row; "
                + "/api/info asked 10 times a second on fresh connections")
        var rows: [Row] = []
        for n in clients {
            rows.append(try measure(port: port, clients: n, seconds: seconds, size: size, download: false))
        }
        if download { rows.append(try measure(port: port, clients: 1, seconds: seconds, size: size, download: true)) }
        func ms(_ s: Double) -> String { String(format: "%.0f ms", s * 1000) }
        var json: [[String: Any]] = []
        for r in rows {
            let fps = r.framesPerSecond.sorted()
            let info = r.infoSeconds.sorted()
            let median = fps.isEmpty ? 0 : fps[fps.count / 2]
            report.say(
                String(
                    format: "%2d client%@%@: %.1f frames/s per client (slowest %.1f), longest gap between frames %@; "
                        + "/api/info slowest %@ (median %@)%@",
                    r.clients, r.clients == 1 ? " " : "s", r.download ? " + mesh downloads" : "", median,
                    fps.first ?? 0, ms(r.longestGap), ms(info.last ?? 0), ms(info.isEmpty ? 0 : info[info.count / 2]),
                    r.download ? ", \(r.downloads) meshes made" : ""))
            json.append([
                "clients": r.clients, "download": r.download, "fps_per_client_median": median,
                "fps_per_client_min": fps.first ?? 0, "longest_frame_gap_seconds": r.longestGap,
                "info_slowest_seconds": info.last ?? 0, "info_median_seconds": info.isEmpty ? 0 : info[info.count / 2],
                "meshes": r.downloads,
            ])
        }
        report.set("viewer_load", json)
        return report
    }

    /// One row: `clients` dragging threads, the info prober, and the mesh downloader if asked.
    static func measure(port: UInt16, clients: Int, seconds: Double, size: Int, download: Bool) throws -> Row {
        /// What the threads measured, under its lock.
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var fps: [Double] = [], gaps: [Double] = [], info: [Double] = [], meshes = 0
            var failure: Error?
        }
        let r = Results(), lock = r.lock
        let group = DispatchGroup()
        let end = Date().addingTimeInterval(seconds)
        func spawn(_ body: @escaping () throws -> Void) {
            group.enter()
            let t = Thread {
                defer { group.leave() }
                do { try body() } catch { lock.withLock { r.failure = r.failure ?? error } }
            }
            t.stackSize = 1 << 20
            t.start()
        }
        for k in 0..<clients {
            spawn {
                let (rate, gap) = try drag(port: port, until: end, size: size, start: Double(k) * 37)
                lock.withLock {
                    r.fps.append(rate)
                    r.gaps.append(gap)
                }
            }
        }
        spawn {
            while Date() < end {
                let t0 = Date()
                let answer = try get(port: port, path: "/api/info")
                guard answer.hasPrefix("HTTP/1.1 200") else {
                    throw ViewerError("/api/info answered \(answer.prefix(40))")
                }
                lock.withLock { r.info.append(Date().timeIntervalSince(t0)) }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        if download {
            spawn {
                while Date() < end {
                    let answer = try get(port: port, path: "/api/mesh.glb?latent=0")
                    guard answer.hasPrefix("HTTP/1.1 200") else {
                        throw ViewerError("the mesh answered \(answer.prefix(40))")
                    }
                    lock.withLock { r.meshes += 1 }
                }
            }
        }
        group.wait()
        if let failure = r.failure { throw failure }
        return Row(
            clients: clients, download: download, framesPerSecond: r.fps, longestGap: r.gaps.max() ?? 0,
            infoSeconds: r.info, downloads: r.meshes)
    }

    /// A GET on a fresh connection; the answer's bytes as text (the head at least).
    static func get(port: UInt16, path: String) throws -> String {
        let c = try SocketConnection.connect(loopbackPort: port)
        defer { c.close() }
        let deadline = Date().addingTimeInterval(60)
        try c.write(
            Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8), until: deadline)
        var bytes: [UInt8] = []
        while true {
            let more = try c.read(max: 1 << 16, until: deadline)
            if more.isEmpty { break }
            bytes += more
        }
        return String(decoding: bytes.prefix(200), as: UTF8.self)
    }

    /// One client dragging until `until`: frames per second and the longest gap between two.
    static func drag(port: UInt16, until end: Date, size: Int, start: Double) throws -> (Double, Double) {
        let c = try SocketConnection.connect(loopbackPort: port)
        defer { c.close() }
        let deadline = Date().addingTimeInterval(30)
        try c.write(
            Array(
                ("GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: bmVyZmludi1sb2FkdGVzdA==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8),
            until: deadline)
        var buffer: [UInt8] = []
        func headEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            return (0...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }.map {
                $0 + 4
            }
        }
        while headEnd() == nil {
            let more = try c.read(max: 4096, until: deadline)
            guard !more.isEmpty else { throw ViewerError("the stream closed during its handshake") }
            buffer += more
        }
        let text = String(decoding: buffer.prefix(headEnd()!), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 101") else { throw ViewerError("the stream answered \(text.prefix(40))") }
        buffer.removeFirst(headEnd()!)
        var sent: UInt32 = 0, answered: UInt32 = 0, frames = 0
        var first: Date?, last = Date(), longest = 0.0
        let mask: [UInt8] = [0x6e, 0x65, 0x72, 0x66]
        while Date() < end {
            // Like the page: a new state whenever fewer than two are unanswered.
            while sent - answered < 2 {
                sent += 1
                let state = "seq=\(sent)&latent=0&az=\(start + Double(sent) * 3)&el=20&dist=3&size=\(size)&mode=rgb"
                try c.write(
                    WebSocketFrame(opcode: .text, payload: Array(state.utf8)).encoded(mask: mask), until: deadline)
            }
            switch WebSocketFrame.decode(buffer, maxPayload: 64 << 20, fromServer: true) {
            case .needMore:
                let more = try c.read(max: 1 << 20, until: Date().addingTimeInterval(30))
                guard !more.isEmpty else { throw ViewerError("the stream closed") }
                buffer += more
            case .refused(_, let why): throw ViewerError("a server frame was malformed: \(why)")
            case .frame(let frame, let consumed):
                buffer.removeFirst(consumed)
                guard frame.opcode == .binary, frame.payload.count >= 8 else {
                    throw ViewerError("the stream sent \(String(decoding: frame.payload.prefix(80), as: UTF8.self))")
                }
                // A frame answers its state and every older one (the server renders the newest).
                answered = frame.payload[0..<4].enumerated().reduce(0) {
                    $0 | UInt32($1.element) << (8 * UInt32($1.offset))
                }
                do {
                    let now = Date()
                    if first == nil { first = now } else { longest = max(longest, now.timeIntervalSince(last)) }
                    last = now
                    frames += 1
                }
            }
        }
        let span = first.map { last.timeIntervalSince($0) } ?? 0
        return (span > 0 ? Double(frames - 1) / span : 0, longest)
    }
}
