/// The viewer server's bounds on each client's time and count (the bytes are bounded by
/// `HTTPLimits`, `ViewerStream.maxMessageBytes` and `ViewerUploads.maxBytes`).
public struct ServerLimits: Sendable {
    /// Seconds a client has to send a request's head (from the connection's start, or the end of
    /// its last answer): a client that trickles or idles is closed.
    public var headSeconds = 10.0
    /// Seconds a photo's body may take to arrive.
    public var bodySeconds = 60.0
    /// Seconds an answer may take to be taken by the client.
    public var writeSeconds = 30.0
    /// Seconds a streamed frame may take to be taken: a client that stops reading is closed then.
    public var streamWriteSeconds = 10.0
    /// Seconds without a state message before a stream is closed (the page sends one per drag step).
    public var streamIdleSeconds = 1800.0
    /// Connections served at once; a browser opens six or so per page. The rest are told 503.
    public var maxConnections = 64
    public init() {}
}
