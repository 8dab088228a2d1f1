import Foundation

/// The viewer's frame stream over a WebSocket (`/api/stream`). The page sends camera states as
/// query strings (`seq=7&latent=0&az=35&el=20&dist=3&size=128&mode=rgb[&edit=pc1:1.5]`); the server
/// renders the newest state whenever it is free and sends it back as `ViewerSession.rawFrame` bytes,
/// or a text message `error <seq>: <reason>` for a state it refuses. A connection is one client: its
/// frames render one after another, never two at once, and states that arrive while one renders
/// collapse to the newest, so a fast mouse never queues work. A client that stops reading holds
/// at most the frame being written: the next state waits for it, and a write that cannot finish
/// in `ServerLimits.streamWriteSeconds` ends the connection. The page keeps at most two states unanswered, which lets
/// the server render the next frame while the browser draws the last.
final class ViewerStream: @unchecked Sendable {
    let session: ViewerSession
    let connection: SocketConnection
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private var pending: String?
    private var ended = false

    /// Longest state message taken; the page's are under 200 bytes. A frame announcing more is
    /// refused from its header, before its payload is read.
    static let maxMessageBytes = 4096
    let limits: ServerLimits

    init(session: ViewerSession, connection: SocketConnection, limits: ServerLimits) {
        self.session = session
        self.connection = connection
        self.limits = limits
    }

    /// The handshake, then messages until the client closes, errs or idles; `buffered` is what was
    /// read past the request's head.
    func run(head: HTTPRequestHead, buffered: [UInt8]) {
        guard (head.header("upgrade") ?? "").lowercased() == "websocket",
            (head.header("connection") ?? "").lowercased().contains("upgrade"),
            head.header("sec-websocket-version") == "13",
            let key = head.header("sec-websocket-key"), Data(base64Encoded: key)?.count == 16
        else {
            try? connection.write(
                HTTPAnswer.text(426, "this address is the viewer's WebSocket stream").bytes(close: true),
                until: Date().addingTimeInterval(limits.writeSeconds))
            return
        }
        let handshake =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(WebSocketFrame.acceptKey(key))\r\n\r\n"
        guard
            (try? connection.write(Array(handshake.utf8), until: Date().addingTimeInterval(limits.streamWriteSeconds)))
                != nil
        else { return }
        let renderer = Thread { [self] in renderLoop() }
        renderer.stackSize = SocketListener.threadStack
        renderer.start()
        readLoop(buffered)
        lock.withLock { ended = true }
        wake.signal()
    }

    /// Reads frames: text states go to the render loop, pings are answered, a close is echoed.
    func readLoop(_ buffered: [UInt8]) {
        var buffer = buffered
        var message: [UInt8] = []
        while true {
            switch WebSocketFrame.decode(buffer, maxPayload: Self.maxMessageBytes) {
            case .needMore:
                guard
                    let more = try? connection.read(
                        max: 8192, until: Date().addingTimeInterval(limits.streamIdleSeconds)),
                    !more.isEmpty
                else { return }
                buffer += more
            case .refused(let code, let reason):
                send(.close(code, reason))
                return
            case .frame(let frame, let consumed):
                buffer.removeFirst(consumed)
                switch frame.opcode {
                case .ping: send(WebSocketFrame(opcode: .pong, payload: frame.payload))
                case .pong: break
                case .close:
                    send(.close(.normal))
                    return
                case .binary:
                    send(.close(.unsupported, "states are text messages"))
                    return
                case .text, .continuation:
                    message += frame.payload
                    guard message.count <= Self.maxMessageBytes else {
                        send(.close(.tooBig, "messages are limited to \(Self.maxMessageBytes) bytes"))
                        return
                    }
                    if frame.fin {
                        let text = String(decoding: message, as: UTF8.self)
                        message = []
                        lock.withLock { pending = text }
                        wake.signal()
                    }
                }
            }
        }
    }

    /// Renders the newest state whenever one waits, until the reader ends.
    func renderLoop() {
        while true {
            wake.wait()
            let (text, done) = lock.withLock { () -> (String?, Bool) in
                defer { pending = nil }
                return (pending, ended)
            }
            if done || connection.isClosed { return }
            guard let text else { continue }
            switch Self.answer(text, session: session) {
            case .frame(let bytes): send(WebSocketFrame(opcode: .binary, payload: [UInt8](bytes)))
            case .refusal(let said): send(WebSocketFrame(opcode: .text, payload: Array(said.utf8)))
            }
        }
    }

    /// Sends a frame; a client that does not take it in time is closed.
    func send(_ frame: WebSocketFrame) {
        do { try connection.write(frame.encoded, until: Date().addingTimeInterval(limits.streamWriteSeconds)) } catch {
            connection.close()
        }
    }

    /// What a state message gets: a raw frame, or the reason it is refused.
    enum Answer: Equatable {
        case frame(Data)
        case refusal(String)
    }

    /// The frame for one state message, or the reason it is refused.
    static func answer(_ text: String, session: ViewerSession) -> Answer {
        // Printable ASCII without spaces, as in a request's target.
        guard text.utf8.allSatisfy({ (33...126).contains($0) }),
            case .success(let query) = HTTPRequestParser.query(Substring(text))
        else { return .refusal("error 0: a state is a query string") }
        guard let seq = ViewerLimits.sequence(query["seq"] ?? "") else {
            return .refusal("error 0: seq must be a frame number")
        }
        switch FrameRequest.parse(query) {
        case .failure(let e): return .refusal("error \(seq): \(e.description)")
        case .success(let request):
            do { return .frame(try session.rawFrame(request, sequence: seq)) } catch {
                return .refusal("error \(seq): \(error)")
            }
        }
    }
}
