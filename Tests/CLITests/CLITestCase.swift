import Foundation
import XCTest

/// A test case with a fresh temporary folder per test and a helper that runs nerfinv and expects success.
class CLITestCase: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func ok(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, "nerfinv \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    /// Runs a Python test script (`python` from the test venv) and returns its exit status with its
    /// stdout and stderr together.
    func runScript(python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// Starts `nerfinv view arguments --port 0 --json` (through `sh -c` after `shellPrefix`, for a
    /// `ulimit`); returns the process, the JSON line it printed first (with the address) and its
    /// stderr when `captureStderr` (then read it after the process ends: a full pipe would block it).
    func launchViewer(_ arguments: [String], shellPrefix: String = "", captureStderr: Bool = false) throws -> (
        process: Process, report: [String: Any], stderr: Pipe?
    ) {
        let viewer = Process()
        viewer.executableURL = URL(fileURLWithPath: "/bin/sh")
        let command = ([CLI.executable.path, "view"] + arguments + ["--port", "0", "--json"]).map { "'\($0)'" }
        viewer.arguments = ["-c", shellPrefix + "exec " + command.joined(separator: " ")]
        let out = Pipe(), err = captureStderr ? Pipe() : nil
        viewer.standardOutput = out
        viewer.standardError = err ?? FileHandle.nullDevice
        try viewer.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        let report = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: line.split(separator: UInt8(ascii: "\n")).first ?? Data())
                as? [String: Any])
        return (viewer, report, err)
    }
}
