import Foundation

/// Who the viewer answers. The threat is any web page the user opens while `nerfinv view` runs
/// (its scripts can send requests to 127.0.0.1), and anyone on the network when `--host` opens it:
/// - **DNS rebinding**: a page at evil.example whose name is made to resolve to 127.0.0.1 is
///   same-origin with its own requests; their `Host` still names evil.example. On loopback only
///   the loopback names of this port are answered.
/// - **Cross-site requests** (a photo POST, a WebSocket, a heavy download started from another
///   page): browsers send the page's `Origin`; only the viewer's own is answered.
/// - **The network**: off loopback, a token (printed by `view` in the address, as Jupyter does) is
///   asked of every request, by query (`?token=`) or by the cookie the page gets with it.
struct ViewerAccess: Sendable {
    let port: UInt16
    /// The `Host` values answered; nil: any (off loopback, where the token decides).
    let hosts: Set<String>?
    let token: String?
    static let cookieName = "nerfinv_token"

    init(host: String, port: UInt16, token: String?) {
        self.port = port
        self.token = token
        hosts =
            Self.isLoopback(host)
            ? Set(["127.0.0.1", "localhost", "[::1]", host].map { "\($0):\(port)" })
            : nil
    }

    /// 127.0.0.0/8: only this machine's programs can connect.
    static func isLoopback(_ host: String) -> Bool { host.hasPrefix("127.") }

    /// A fresh token: 128 random bits as hex.
    static func makeToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &g)) }.joined()
    }

    /// The cookie the page is served with, so that its own requests carry the token.
    var cookie: String? { token.map { "\(Self.cookieName)=\($0); Path=/; HttpOnly; SameSite=Strict" } }

    /// Why `head` is not answered, as the answer to give; nil when it is.
    func refusal(_ head: HTTPRequestHead) -> HTTPAnswer? {
        let host = (head.header("host") ?? "").lowercased()
        if let hosts, !hosts.contains(host) {
            return .text(
                421,
                "this viewer answers only requests for http://127.0.0.1:\(port)/ (this one named \(host.prefix(80))): "
                    + "a page that renamed itself to reach this machine is refused")
        }
        if let token, !(matches(head.query["token"], token) || matches(cookieToken(head), token)) {
            return .text(403, "open the address with the token that nerfinv view printed")
        }
        if let origin = head.header("origin"), origin.lowercased() != "http://" + host {
            return .text(403, "requests are taken from this viewer's own page only, not from \(origin.prefix(80))")
        }
        return nil
    }

    func cookieToken(_ head: HTTPRequestHead) -> String? {
        for part in (head.header("cookie") ?? "").split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 && kv[0].trimmingCharacters(in: .whitespaces) == Self.cookieName {
                return String(kv[1])
            }
        }
        return nil
    }

    /// Equality in time independent of where the strings differ.
    func matches(_ given: String?, _ token: String) -> Bool {
        guard let given else { return false }
        let a = Array(given.utf8), b = Array(token.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { diff |= (i < a.count ? a[i] : 0) ^ b[i] }
        return diff == 0
    }
}
