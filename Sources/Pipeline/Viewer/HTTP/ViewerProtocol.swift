/// The viewer's protocol parsing as a whole, for the fuzzer (`Tests/Fuzz`): the bytes as a
/// request head, then as WebSocket frames from a client (and from a server, as the load test reads
/// them), and a parsed head's query as a frame request and as a stream state. Nothing renders.
public enum ViewerProtocol {
    public static func exercise(_ bytes: [UInt8]) {
        if case .head(let head, _) = HTTPRequestParser.parse(bytes) {
            _ = FrameRequest.parse(head.query)
            _ = head.keepAlive
            _ = head.query["latent"].map(ViewerLimits.index)
            _ = head.query["seq"].map(ViewerLimits.sequence)
        }
        for fromServer in [false, true] {
            var rest = bytes
            // Frame after frame, as a stream's reader consumes them.
            while case .frame(_, let consumed) = WebSocketFrame.decode(rest, maxPayload: 4096, fromServer: fromServer),
                consumed > 0
            {
                rest.removeFirst(consumed)
            }
        }
    }
}
