import Foundation

/// A `DecodingError` as one line a user can act on: where in the file (the key path) and what was
/// wrong, with numbers that do not fit said to be out of range rather than "not valid JSON".
public enum DecodingErrors {
    /// With the bytes that failed: JSON that parses as JSON but not as the type has a value out of
    /// range (Foundation reports a Float beyond ±3.4e38 as "not valid JSON").
    public static func describe(_ error: Error, data: Data) -> String {
        if case DecodingError.dataCorrupted(let c) = error, c.codingPath.isEmpty,
            (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
        {
            return "a number is out of range for its field (a 32-bit float holds at most ±3.4e38)"
        }
        return describe(error)
    }

    public static func describe(_ error: Error) -> String {
        func at(_ c: DecodingError.Context) -> String {
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            let trimmed = path.hasPrefix(".") ? String(path.dropFirst()) : path
            return trimmed.isEmpty ? "" : "at \(trimmed): "
        }
        switch error {
        case DecodingError.dataCorrupted(let c):
            let text = c.debugDescription
            if text.contains("does not fit") || text.contains("out of range") {
                return at(c) + "a number is out of range (" + text + ")"
            }
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return at(c) + (underlying ?? text)
        case DecodingError.typeMismatch(let type, let c):
            return at(c) + "expected \(type)" + (c.debugDescription.contains("out of range") ? ", out of range" : "")
        case DecodingError.valueNotFound(let type, let c): return at(c) + "missing \(type) value"
        case DecodingError.keyNotFound(let key, let c): return at(c) + "missing key '\(key.stringValue)'"
        default: return "\(error)"
        }
    }
}
