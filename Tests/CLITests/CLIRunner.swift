import Foundation
import XCTest

/// Runs the built `nerfinv` executable (a dependency of this test target, so it sits beside the
/// test bundle) and captures its exit status and output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static var executable: URL {
        var dir = Bundle(for: CLIRunnerAnchor.self).bundleURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("nerfinv").path) {
            dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        }
        return dir.appendingPathComponent("nerfinv")
    }

    /// Runs nerfinv, or `program` (a launcher such as mpirun) when given.
    static func run(
        _ args: [String], cwd: String? = nil, timeout: TimeInterval = 120, environment: [String: String] = [:],
        program: URL? = nil
    ) throws -> CLIResult {
        let p = Process()
        p.executableURL = program ?? executable
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Drain both pipes while the process runs so a chatty child never blocks on a full pipe.
        let outData = Box(), errData = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData.data = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("nerfinv \(args.joined(separator: " ")) did not finish in \(timeout) s")
        }
        p.waitUntilExit()
        group.wait()
        return CLIResult(
            status: p.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
            stderr: String(decoding: errData.data, as: UTF8.self))
    }
}

final class CLIRunnerAnchor {}

/// Written by one reader thread, read after the group wait.
final class Box: @unchecked Sendable { var data = Data() }

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
