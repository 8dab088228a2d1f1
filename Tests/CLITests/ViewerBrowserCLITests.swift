import Foundation
import XCTest

/// `nerfinv view` in a real browser: headless Chromium (installed by `make testdeps`) loads the
/// page, drags across the view, switches latents and takes a screenshot (`tools/check_viewer.py`).
final class ViewerBrowserCLITests: CLITestCase {
    func testPageInHeadlessChromium() throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/chromium") }) else {
            // Said, not silent: the browser test needs Debian's chromium (make testdeps installs it).
            print("ViewerBrowserCLITests: SKIPPED, chromium is not installed (make testdeps installs it)")
            throw XCTSkip("chromium is not installed")
        }
        let python = repoRoot + "/.build/meshcheck/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return XCTFail("\(python) is missing: `make testdeps` sets up the test tools")
        }
        let model = repoRoot + "/models/cars_gen1.nvm"
        for (photo, name) in [("car_256.png", "a"), ("car_160.png", "b")] {
            _ = try ok([
                "invert", repoRoot + "/scenes/photos/" + photo, "--model", model, "--steps", "5", "--quiet", "--out",
                dir + "/\(name).latent",
            ])
        }
        let viewer = Process()
        viewer.executableURL = CLI.executable
        viewer.arguments = ["view", dir + "/a.latent", dir + "/b.latent", "--model", model, "--port", "0", "--json"]
        let out = Pipe()
        viewer.standardOutput = out
        viewer.standardError = FileHandle.nullDevice
        try viewer.run()
        defer { viewer.terminate() }
        // The first line it prints names the address.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        let report =
            try JSONSerialization.jsonObject(with: line.split(separator: UInt8(ascii: "\n"))[0]) as! [String: Any]
        let url = try XCTUnwrap(report["url"] as? String)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), "loopback by default: \(url)")
        let (status, text) = try runScript(
            python: python, [repoRoot + "/tools/check_viewer.py", url, "--seconds", "2"])
        print("ViewerBrowserCLITests: \(text)")
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("\"console_errors\": 0"), text)
    }
}
