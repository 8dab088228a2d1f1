import FlyingFox
import Foundation

/// `nerfinv view`'s HTTP server (FlyingFox): the page, and an API the page alone uses. The client
/// names latents by index among those given on the command line, never by path; every number
/// is range-checked here; a client with a frame in flight is told to wait (429). The page's live
/// view streams over a WebSocket (`ViewerStream`); `/api/frame` serves the same frames as PNGs.
public final class ViewerServer: Sendable {
    let server: HTTPServer
    let session: ViewerSession

    /// On `host` (127.0.0.1 unless asked otherwise) at `port` (0: any free one).
    public init(session: ViewerSession, host: String = "127.0.0.1", port: UInt16) throws {
        self.session = session
        let address: sockaddr_in = try .inet(ip4: host, port: port)
        // Its own log lines (a connection opened, closed) would bury the address printed for the user.
        server = HTTPServer(address: address, logger: .disabled)
    }

    static func respond(_ status: HTTPStatusCode, _ type: String, _ body: Data) -> HTTPResponse {
        HTTPResponse(
            statusCode: status, headers: [.contentType: type, HTTPHeader("Cache-Control"): "no-store"], body: body)
    }

    static func error(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        respond(status, "text/plain; charset=utf-8", Data((message + "\n").utf8))
    }

    static func latentIndex(_ request: HTTPRequest) -> Int? {
        Int(request.query["latent"] ?? "0")
    }

    /// Adds the routes and serves until stopped.
    public func run() async throws {
        let session = self.session
        await server.appendRoute("GET /") { _ in
            Self.respond(.ok, "text/html; charset=utf-8", Data(ViewerPage.html.utf8))
        }
        await server.appendRoute("GET /api/info") { _ in Self.respond(.ok, "application/json", try session.info()) }
        await server.appendRoute("GET /api/frame") { request in
            var query: [String: String] = [:]
            for item in request.query { query[item.name] = item.value }
            switch FrameRequest.parse(query) {
            case .failure(let e): return Self.error(.badRequest, e.description)
            case .success(let frame):
                let client = String((query["client"] ?? "anonymous").prefix(64))
                do {
                    guard let png = try session.frame(frame, client: client) else {
                        return Self.error(.tooManyRequests, "a frame for this client is in flight")
                    }
                    return Self.respond(.ok, "image/png", png)
                } catch { return Self.error(.badRequest, "\(error)") }
            }
        }
        await server.appendRoute(
            "GET /api/stream",
            to: WebSocketHTTPHandler(handler: MessageFrameWSHandler(handler: ViewerStream(session: session))))
        await server.appendRoute("GET /api/input") { request in
            guard let i = Self.latentIndex(request) else { return Self.error(.badRequest, "latent must be an index") }
            do {
                guard let png = try session.inputSheet(i) else { return Self.error(.notFound, "no input picture") }
                return Self.respond(.ok, "image/png", png)
            } catch { return Self.error(.badRequest, "\(error)") }
        }
        await server.appendRoute("GET /api/mesh.glb") { request in
            guard let i = Self.latentIndex(request) else { return Self.error(.badRequest, "latent must be an index") }
            do { return Self.respond(.ok, "model/gltf-binary", try session.mesh(i)) } catch {
                return Self.error(.badRequest, "\(error)")
            }
        }
        await server.appendRoute("GET /api/turntable.gif") { request in
            guard let i = Self.latentIndex(request) else { return Self.error(.badRequest, "latent must be an index") }
            do { return Self.respond(.ok, "image/gif", try session.turntable(i)) } catch {
                return Self.error(.badRequest, "\(error)")
            }
        }
        await server.appendRoute("POST /api/photo") { request in await Self.photo(request, session: session) }
        try await server.run()
    }

    /// A dropped photo: refused unless it comes from this page (an `Origin` other than the `Host`
    /// is another site's script), is PNG and states its length within `ViewerUploads.maxBytes`
    /// before its bytes are read. Answers the new latent's index and the first inversion's seconds.
    static func photo(_ request: HTTPRequest, session: ViewerSession) async -> HTTPResponse {
        if let origin = request.headers[HTTPHeader("Origin")] {
            let host = request.headers[HTTPHeader("Host")] ?? ""
            guard origin == "http://" + host else {
                return error(.forbidden, "photos are taken from this viewer's own page only")
            }
        }
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("image/png") else {
            return error(.unsupportedMediaType, "send the photo as image/png")
        }
        guard let length = request.bodySequence.count, length <= ViewerUploads.maxBytes else {
            return error(.payloadTooLarge, "photos up to 16 MB are taken, with their length stated")
        }
        let name = request.query["name"] ?? "photo"
        do {
            let body = try await request.bodyData
            let (latent, seconds) = try session.drop(body, name: name)
            let json = try JSONSerialization.data(
                withJSONObject: ["latent": latent, "seconds": seconds], options: [.sortedKeys])
            return respond(.ok, "application/json", json)
        } catch let refusal as ViewerUploads.Refusal {
            return error(HTTPStatusCode(refusal.status, phrase: "Refused"), refusal.description)
        } catch {
            return Self.error(.badRequest, "\(error)")
        }
    }

    /// The port it listens on, once listening.
    public func port() async throws -> UInt16 {
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else { throw ViewerError("not listening on IPv4") }
        return port
    }

    public func stop() async { await server.stop() }
}
