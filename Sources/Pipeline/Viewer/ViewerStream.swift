import FlyingFox
import Foundation

/// The viewer's frame stream over a WebSocket (`/api/stream`). The page sends camera states as
/// query strings (`seq=7&latent=0&az=35&el=20&dist=3&size=128&mode=rgb[&edit=pc1:1.5]`); the server
/// renders the newest state whenever it is free and sends it back as `ViewerSession.rawFrame` bytes,
/// or a text message `error <seq>: <reason>` for a state it refuses. A connection is one client: its frames
/// render one after another, never two at once, and states that arrive while one renders collapse
/// to the newest, so a fast mouse never queues work. The page keeps at most two states unanswered,
/// which lets the server render the next frame while the browser draws the last.
public struct ViewerStream: WSMessageHandler {
    let session: ViewerSession

    /// The newest state a client sent and not yet rendered.
    final class Pending: @unchecked Sendable {
        let lock = NSLock()
        var text: String?
        func put(_ t: String) {
            lock.lock()
            text = t
            lock.unlock()
        }
        func take() -> String? {
            lock.lock()
            defer { lock.unlock() }
            let t = text
            text = nil
            return t
        }
    }

    /// Longest state message read; the page's are under 200 bytes.
    static let maxMessageBytes = 4096

    public func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
        let (output, out) = AsyncStream<WSMessage>.makeStream()
        let (wake, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = Pending()
        let session = self.session
        Task {
            for await _ in wake {
                guard let text = pending.take() else { continue }
                out.yield(Self.answer(text, session: session))
            }
            out.finish()
        }
        Task {
            for await message in client {
                guard case .text(let text) = message else { continue }
                guard text.utf8.count <= Self.maxMessageBytes else {
                    out.yield(.text("error 0: a state message is limited to \(Self.maxMessageBytes) bytes"))
                    continue
                }
                pending.put(text)
                signal.yield()
            }
            signal.finish()
        }
        return output
    }

    /// The frame for one state message, or the reason it is refused.
    public static func answer(_ text: String, session: ViewerSession) -> WSMessage {
        var query: [String: String] = [:]
        for item in URLComponents(string: "?" + text)?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        guard let seq = UInt32(query["seq"] ?? "") else { return .text("error 0: seq must be a frame number") }
        switch FrameRequest.parse(query) {
        case .failure(let e): return .text("error \(seq): \(e.description)")
        case .success(let request):
            do { return .data(try session.rawFrame(request, sequence: seq)) } catch {
                return .text("error \(seq): \(error)")
            }
        }
    }
}
