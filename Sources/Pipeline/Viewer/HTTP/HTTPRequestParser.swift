import Foundation

// The viewer's HTTP/1.1 request parser: a pure function of the bytes received so far, with every
// limit applied before anything past it is looked at, so that a hostile client costs at most the
// limits' worth of memory and work (a 256 KB request line cost 25 s of CPU in the library used
// before). Fuzzed by `tools/fuzz` (`make fuzz`).

/// The limits of one request's head.
public struct HTTPLimits: Sendable {
    /// Longest request line (method, target, version): the viewer's longest URL is under 300 bytes.
    public var requestLine = 8192
    /// Longest head (request line and headers); browsers send 1-2 KB.
    public var headBytes = 16384
    public var headerCount = 64
    /// Query parameters of one target.
    public var queryItems = 64
    public init() {}
}

/// A request's method, target and headers; the body (if any) is read by the server, its length
/// known from `contentLength` before a byte of it is read.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The path without the query, percent-decoding left undone (the routes are plain ASCII).
    public var path: String
    /// Decoded query parameters; a name given twice is refused by the parser.
    public var query: [String: String]
    public var version: String
    /// Header names lowercased, in order.
    public var headers: [(name: String, value: String)]
    /// The stated body length (0 when none is stated).
    public var contentLength: Int

    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// Whether the connection stays open after the answer (HTTP/1.1 unless told to close).
    public var keepAlive: Bool {
        let connection = header("connection")?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }

    public static func == (a: HTTPRequestHead, b: HTTPRequestHead) -> Bool {
        a.method == b.method && a.path == b.path && a.query == b.query && a.version == b.version
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
            && a.contentLength == b.contentLength
    }
}

/// What the parser makes of the bytes so far.
public enum HTTPParse: Sendable, Equatable {
    /// The head is not complete yet and nothing seen breaks a limit.
    case needMore
    /// The head, and the bytes it took (the body, if any, follows).
    case head(HTTPRequestHead, consumed: Int)
    /// The request is refused: the status to answer and why (the connection then closes).
    case refused(status: Int, reason: String)
}

public enum HTTPRequestParser {
    /// Largest body length a header may state (digits beyond it are refused, not converted).
    static let maxContentLengthDigits = 12

    /// Parses the head at the start of `bytes`.
    public static func parse(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HTTPParse {
        bytes.withUnsafeBufferPointer { parse($0, limits: limits) }
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPLimits = HTTPLimits()) -> HTTPParse {
        // The request line, looked for only within its limit.
        guard let first = lineEnd(bytes, from: 0, within: limits.requestLine) else {
            return bytes.count > limits.requestLine
                ? .refused(status: 414, reason: "the request line is longer than \(limits.requestLine) bytes")
                : .needMore
        }
        // The end of the head, looked for only within its limit.
        var lines: [Range<Int>] = []
        var at = first.next
        var headEnd: Int? = nil
        while headEnd == nil {
            guard let end = lineEnd(bytes, from: at, within: limits.headBytes - at) else {
                return bytes.count > limits.headBytes
                    ? .refused(status: 431, reason: "the request's headers are longer than \(limits.headBytes) bytes")
                    : .needMore
            }
            if end.content == at {
                headEnd = end.next
            } else {
                lines.append(at..<end.content)
                guard lines.count <= limits.headerCount else {
                    return .refused(status: 431, reason: "more than \(limits.headerCount) headers")
                }
            }
            at = end.next
        }
        func text(_ r: Range<Int>) -> String? {
            // Printable ASCII and tabs only: no NUL, no stray CR, no UTF-8 to normalise.
            for i in r where !(bytes[i] == 9 || (32...126).contains(bytes[i])) { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
        }
        guard let requestLine = text(0..<first.content) else {
            return .refused(status: 400, reason: "the request line holds bytes other than printable ASCII")
        }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isUppercase && $0.isASCII }) else {
            return .refused(status: 400, reason: "the request line is not METHOD TARGET VERSION")
        }
        let version = String(parts[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .refused(status: 505, reason: "only HTTP/1.1 and HTTP/1.0 are spoken here")
        }
        let target = parts[1]
        guard target.hasPrefix("/") else { return .refused(status: 400, reason: "the target must be a path") }
        let pathEnd = target.firstIndex(of: "?") ?? target.endIndex
        let path = String(target[..<pathEnd])
        var query: [String: String] = [:]
        if pathEnd < target.endIndex {
            switch Self.query(target[target.index(after: pathEnd)...], limits: limits) {
            case .success(let q): query = q
            case .failure(let refusal): return .refused(status: refusal.status, reason: refusal.reason)
            }
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let l = text(line) else {
                return .refused(status: 400, reason: "a header holds bytes other than printable ASCII")
            }
            guard let colon = l.firstIndex(of: ":"), colon > l.startIndex,
                l[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) })
            else {
                // A line starting with white space is an obsolete folded header: refused, as RFC 9112 allows.
                return .refused(status: 400, reason: "a header line is not NAME: VALUE")
            }
            let value = l[l.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            headers.append((l[..<colon].lowercased(), value))
        }
        func single(_ name: String) -> (ok: Bool, value: String?) {
            let all = headers.filter { $0.name == name }.map(\.value)
            return (all.count <= 1, all.first)
        }
        let host = single("host")
        guard host.ok else { return .refused(status: 400, reason: "the request names two hosts") }
        if version == "HTTP/1.1" && host.value == nil {
            return .refused(status: 400, reason: "an HTTP/1.1 request must name its Host")
        }
        guard single("transfer-encoding").value == nil else {
            return .refused(status: 501, reason: "bodies are taken with a Content-Length only")
        }
        let length = single("content-length")
        guard length.ok else { return .refused(status: 400, reason: "the request states two lengths") }
        var contentLength = 0
        if let l = length.value {
            guard !l.isEmpty, l.count <= maxContentLengthDigits, l.allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = Int(l)
            else { return .refused(status: 400, reason: "Content-Length must be a number of bytes") }
            contentLength = n
        }
        let head = HTTPRequestHead(
            method: String(parts[0]), path: path, query: query, version: version, headers: headers,
            contentLength: contentLength)
        return .head(head, consumed: headEnd!)
    }

    /// Why a query is refused: the status to answer and the reason.
    public struct QueryRefusal: Error, Equatable {
        public var status: Int
        public var reason: String
    }

    /// The parameters of a query string (`a=1&b=x%20y`), percent-decoded; refused past
    /// `limits.queryItems` parameters, for a malformed escape or a name given twice. The viewer's
    /// stream states are query strings too (`ViewerStream.answer`).
    public static func query(_ text: Substring, limits: HTTPLimits = HTTPLimits()) -> Result<
        [String: String], QueryRefusal
    > {
        let items = text.split(separator: "&")
        guard items.count <= limits.queryItems else {
            return .failure(QueryRefusal(status: 414, reason: "more than \(limits.queryItems) query parameters"))
        }
        var query: [String: String] = [:]
        for item in items {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(kv[0]), let value = percentDecoded(kv.count > 1 ? kv[1] : "") else {
                return .failure(QueryRefusal(status: 400, reason: "the query holds a malformed escape"))
            }
            guard query[name] == nil else {
                return .failure(QueryRefusal(status: 400, reason: "the query names \(name) twice"))
            }
            query[name] = value
        }
        return .success(query)
    }

    /// The next line ending at or after `from`, found within `within` bytes: where the line's
    /// content ends (before CR LF, or a bare LF) and where the next line starts.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, within: Int) -> (content: Int, next: Int)? {
        let stop = min(bytes.count, from + max(0, within))
        var i = from
        while i < stop {
            if bytes[i] == 10 { return (i > from && bytes[i - 1] == 13 ? i - 1 : i, i + 1) }
            i += 1
        }
        return nil
    }

    /// Percent-decoding with '+' as a space; nil for a malformed escape or bytes that are not UTF-8.
    static func percentDecoded(_ s: Substring) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let c = it.next() {
            switch c {
            case UInt8(ascii: "+"): out.append(32)
            case UInt8(ascii: "%"):
                guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else { return nil }
                out.append(h << 4 | l)
            default: out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
