import ArgumentParser
import Foundation
import Pipeline

/// --quiet and --json, shared by every command that reports a result: people read a sentence,
/// scripts read one line of JSON on stdout; progress goes to stderr, and only on a terminal.
struct OutputOptions: ParsableArguments {
    @Flag(help: "No progress output and no summary (errors still go to stderr).")
    var quiet = false

    @Flag(help: "Print the result as one line of JSON on stdout (for scripts); no progress output.")
    var json = false

    /// Whether progress bars and chatter on stderr are off.
    var silent: Bool { quiet || json }

    /// Prints `fields` as a JSON line with --json, else `text()` unless --quiet.
    func report(_ fields: [String: Any], _ text: @autoclosure () -> String) {
        if json { Self.printJSONLine(fields) } else if !quiet { print(text()) }
    }

    /// `fields` as one line of JSON (sorted keys) on stdout.
    static func printJSONLine(_ fields: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Runs `body`; a model's refusal ("has no encoder") becomes a usage error.
    static func asValidation(_ body: () throws -> Void) throws {
        do { try body() } catch let e as ModelError { throw ValidationError("\(e)") }
    }

    /// An error on stderr that does not end the command (one of several inputs failed), always shown.
    static func error(_ text: String) { FileHandle.standardError.write(Data("error: \(text)\n".utf8)) }

    /// A note on stderr, unless silent.
    func note(_ text: @autoclosure () -> String) {
        if !silent { FileHandle.standardError.write(Data((text() + "\n").utf8)) }
    }
}
