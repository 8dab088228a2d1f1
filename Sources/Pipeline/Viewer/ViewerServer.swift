import Foundation

/// `nerfinv view`'s HTTP server: the page, and an API the page alone uses. The client names
/// latents by index among those given on the command line, never by path; every number is
/// range-checked before it is converted; a client with a frame in flight is told to wait (429).
/// The page's live view streams over a WebSocket (`ViewerStream`); `/api/frame` serves the same
/// frames as PNGs.
///
/// Its own small HTTP/1.1 server (`HTTPRequestParser`, `WebSocketFrame`, `SocketListener`), since
/// the viewer runs on a developer's machine where any web page the user opens can reach it: every
/// limit applies as bytes arrive, before anything is parsed or buffered past it (`ViewerAccess`
/// says who is answered). The library used before offered no limit on request lines, headers or
/// WebSocket frames.
public final class ViewerServer: @unchecked Sendable {
    let session: ViewerSession
    let listener: SocketListener
    let access: ViewerAccess
    /// Meshes and GIFs take seconds of both cores: one at a time, whoever asks.
    let heavy = NSLock()

    let limits: ServerLimits
    /// Bytes read at a time.
    static let readChunk = 65536

    /// On `host` (127.0.0.1 unless asked otherwise) at `port` (0: any free one). A `token` is then
    /// asked of every request (`ViewerAccess`); `view` makes one whenever `host` is not loopback.
    public init(
        session: ViewerSession, host: String = "127.0.0.1", port: UInt16, token: String? = nil,
        limits: ServerLimits = ServerLimits()
    ) throws {
        self.session = session
        self.limits = limits
        listener = try SocketListener(host: host, port: port, maxConnections: limits.maxConnections)
        access = ViewerAccess(host: host, port: listener.port, token: token)
    }

    /// Serves until stopped.
    public func run() async throws {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                listener.run { [self] connection in serve(connection) }
                done.resume()
            }
            thread.start()
        }
    }

    /// Whether `host` is loopback (127.0.0.0/8), where no token is needed.
    public static func isLoopback(_ host: String) -> Bool { ViewerAccess.isLoopback(host) }
    /// A fresh access token (128 random bits).
    public static func makeToken() -> String { ViewerAccess.makeToken() }

    /// The port it listens on.
    public func port() async throws -> UInt16 { listener.port }

    public func stop() async { listener.stop() }

    /// Requests on one connection, one after another, until it closes, errs or idles.
    func serve(_ connection: SocketConnection) {
        var buffer: [UInt8] = []
        while !connection.isClosed {
            let deadline = Date().addingTimeInterval(limits.headSeconds)
            var parsed = HTTPRequestParser.parse(buffer)
            while parsed == .needMore {
                guard let more = try? connection.read(max: Self.readChunk, until: deadline), !more.isEmpty else {
                    return  // closed, idle or too slow: nothing to answer
                }
                buffer += more
                parsed = HTTPRequestParser.parse(buffer)
            }
            switch parsed {
            case .needMore: return
            case .refused(let status, let reason):
                write(HTTPAnswer.text(status, reason), to: connection, close: true)
                return
            case .head(let head, let consumed):
                buffer.removeFirst(consumed)
                if let refusal = access.refusal(head) {
                    write(refusal, to: connection, close: true)
                    return
                }
                if head.path == "/api/stream" && head.method == "GET" {
                    ViewerStream(session: session, connection: connection, limits: limits).run(
                        head: head, buffered: buffer)
                    return
                }
                // A body is read only where a route takes one, and only once its length is known to fit
                // (a photo stated with no length is refused here too).
                let photo = head.method == "POST" && head.path == "/api/photo"
                if photo, let refusal = Self.photoRefusal(head) {
                    write(refusal, to: connection, close: true)
                    return
                }
                var body: [UInt8] = []
                if head.contentLength > 0 {
                    guard photo else {
                        write(HTTPAnswer.text(413, "this request takes no body"), to: connection, close: true)
                        return
                    }
                    let until = Date().addingTimeInterval(limits.bodySeconds)
                    body = buffer
                    while body.count < head.contentLength {
                        guard let more = try? connection.read(max: Self.readChunk, until: until), !more.isEmpty else {
                            return
                        }
                        body += more
                    }
                    buffer = Array(body[head.contentLength...])
                    body.removeLast(body.count - head.contentLength)
                }
                let answer = route(head, body: body)
                write(answer, to: connection, close: !head.keepAlive)
                if !head.keepAlive { return }
            }
        }
    }

    func write(_ answer: HTTPAnswer, to connection: SocketConnection, close: Bool) {
        do {
            try connection.write(answer.bytes(close: close), until: Date().addingTimeInterval(limits.writeSeconds))
        } catch {
            connection.close()
        }
        if close { connection.close() }
    }

    /// The answer to one request that passed `ViewerAccess`.
    func route(_ head: HTTPRequestHead, body: [UInt8]) -> HTTPAnswer {
        let get = head.method == "GET"
        func latent() -> Int? { ViewerLimits.index(head.query["latent"] ?? "0") }
        switch head.path {
        case "/" where get:
            var answer = HTTPAnswer(200, "text/html; charset=utf-8", Data(ViewerPage.html.utf8))
            if let cookie = access.cookie { answer.headers.append(("Set-Cookie", cookie)) }
            return answer
        case "/api/info" where get:
            do { return HTTPAnswer(200, "application/json", try session.info()) } catch {
                return .text(500, "\(error)")
            }
        case "/api/frame" where get:
            switch FrameRequest.parse(head.query) {
            case .failure(let e): return .text(400, e.description)
            case .success(let frame):
                let client = String((head.query["client"] ?? "anonymous").prefix(64))
                do {
                    guard let png = try session.frame(frame, client: client) else {
                        return .text(429, "a frame for this client is in flight")
                    }
                    return HTTPAnswer(200, "image/png", png)
                } catch { return .text(400, "\(error)") }
            }
        case "/api/input" where get:
            guard let i = latent() else { return .text(400, "latent must be an index") }
            do {
                guard let png = try session.inputSheet(i) else { return .text(404, "no input picture") }
                return HTTPAnswer(200, "image/png", png)
            } catch { return .text(400, "\(error)") }
        case "/api/mesh.glb" where get, "/api/turntable.gif" where get, "/api/turntable.mp4" where get:
            guard let i = latent() else { return .text(400, "latent must be an index") }
            guard heavy.try() else {
                return .text(429, "a mesh or turntable is being made; ask again when it is done")
            }
            defer { heavy.unlock() }
            do {
                switch head.path {
                case "/api/mesh.glb": return HTTPAnswer(200, "model/gltf-binary", try session.mesh(i))
                case "/api/turntable.gif": return HTTPAnswer(200, "image/gif", try session.turntable(i))
                default: return HTTPAnswer(200, "video/mp4", try session.turntableMP4(i))
                }
            } catch { return .text(400, "\(error)") }
        case "/api/photo" where head.method == "POST":
            // `serve` has refused a photo head that `photoRefusal` refuses, before reading its body.
            return photo(Data(body), name: head.query["name"] ?? "photo")
        case "/", "/api/info", "/api/frame", "/api/input", "/api/mesh.glb", "/api/turntable.gif", "/api/turntable.mp4",
            "/api/photo":
            return .text(405, "\(head.method) is not answered at \(head.path)")
        default:
            return .text(404, "no such page: the viewer serves / and its API")
        }
    }

    /// A dropped photo's head: refused unless declared PNG and stated within
    /// `ViewerUploads.maxBytes` (before its bytes are read).
    static func photoRefusal(_ head: HTTPRequestHead) -> HTTPAnswer? {
        guard (head.header("content-type") ?? "").lowercased().hasPrefix("image/png") else {
            return .text(415, "send the photo as image/png")
        }
        guard head.contentLength > 0, head.contentLength <= ViewerUploads.maxBytes else {
            return .text(413, "photos up to 16 MB are taken, with their length stated")
        }
        return nil
    }

    /// Answers the new latent's index and the first inversion's seconds.
    func photo(_ body: Data, name: String) -> HTTPAnswer {
        do {
            let (latent, seconds) = try session.drop(body, name: name)
            let json = try JSONSerialization.data(
                withJSONObject: ["latent": latent, "seconds": seconds], options: [.sortedKeys])
            return HTTPAnswer(200, "application/json", json)
        } catch let refusal as ViewerUploads.Refusal {
            return .text(refusal.status, refusal.description)
        } catch {
            return .text(400, "\(error)")
        }
    }
}

/// An HTTP answer: status, type, body and any extra headers.
struct HTTPAnswer {
    var status: Int
    var type: String
    var body: Data
    var headers: [(String, String)] = []

    init(_ status: Int, _ type: String, _ body: Data) {
        self.status = status
        self.type = type
        self.body = body
    }

    static func text(_ status: Int, _ message: String) -> HTTPAnswer {
        HTTPAnswer(status, "text/plain; charset=utf-8", Data((message + "\n").utf8))
    }

    static let phrases = [
        101: "Switching Protocols", 200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
        421: "Misdirected Request", 422: "Unprocessable Content", 426: "Upgrade Required", 429: "Too Many Requests",
        431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
        503: "Service Unavailable", 505: "HTTP Version Not Supported",
    ]

    func bytes(close: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.phrases[status] ?? "Status")\r\n"
        head += "Content-Type: \(type)\r\nContent-Length: \(body.count)\r\nCache-Control: no-store\r\n"
        // Neither sniffed into another type nor framed by another site's page.
        head += "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if close { head += "Connection: close\r\n" }
        return Array((head + "\r\n").utf8) + [UInt8](body)
    }
}
