import Foundation
import TestSupport
import XCTest

/// `nerfinv view` as a process: it outlives running out of descriptors, and off loopback it asks
/// every request for the token it printed.
final class ViewerCLITests: CLITestCase {
    func port(_ report: [String: Any]) throws -> UInt16 {
        let url = try XCTUnwrap(report["url"] as? String)
        return try XCTUnwrap(UInt16(url.split(separator: ":")[2].prefix { $0.isNumber }))
    }

    func info(_ port: UInt16, query: String = "") throws -> Int? {
        let c = try RawClient(port: port)
        c.send("GET /api/info\(query) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        return c.status()
    }

    /// With 40 descriptors, 80 connections at once: the server waits for descriptors instead of
    /// exiting, and answers once they are back.
    func testOutOfDescriptorsWaitsAndGoesOn() throws {
        let (viewer, report, _) = try launchViewer(
            ["--model", repoRoot + "/models/cars_gen1.nvm"], shellPrefix: "ulimit -n 40; ")
        defer { viewer.terminate() }
        let port = try port(report)
        var held: [RawClient] = []
        for _ in 0..<80 { if let c = try? RawClient(port: port, timeout: 0.2) { held.append(c) } }
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(viewer.isRunning, "the viewer exited when it ran out of descriptors")
        held.removeAll()
        Thread.sleep(forTimeInterval: 0.5)
        var status: Int? = nil
        for _ in 0..<40 where status != 200 {
            status = try? info(port)
            if status != 200 { Thread.sleep(forTimeInterval: 0.25) }
        }
        XCTAssertEqual(status, 200)
        XCTAssertTrue(viewer.isRunning)
    }

    /// Off loopback: a warning, an address with a token, and 403 without it.
    func testTokenWhenListeningOnTheNetwork() throws {
        let (viewer, report, err) = try launchViewer(
            ["--model", repoRoot + "/models/cars_gen1.nvm", "--host", "0.0.0.0"], captureStderr: true)
        defer { viewer.terminate() }
        let url = try XCTUnwrap(report["url"] as? String)
        let token = try XCTUnwrap(url.split(separator: "=").last.map(String.init), url)
        XCTAssertTrue(url.contains("/?token=") && token.count == 32, url)
        let port = try port(report)
        XCTAssertEqual(try info(port), 403)
        XCTAssertEqual(try info(port, query: "?token=\(token)"), 200)
        viewer.terminate()
        viewer.waitUntilExit()
        let said = String(decoding: err!.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(said.contains("reachable from the network"), said)
    }
}
