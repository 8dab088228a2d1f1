import Foundation
import XCTest

/// `nerfinv view` in a real browser: headless Chromium (installed by `make testdeps`) loads the
/// page, drags across the view, switches latents and takes a screenshot (`tools/check_viewer.py`).
final class ViewerBrowserCLITests: CLITestCase {
    func testPageInHeadlessChromium() throws {
        let python = try browserPython()
        let model = repoRoot + "/models/cars_gen1.nvm"
        for (photo, name) in [("car_256.png", "a"), ("car_160.png", "b")] {
            _ = try ok([
                "invert", repoRoot + "/scenes/photos/" + photo, "--model", model, "--steps", "5", "--quiet", "--out",
                dir + "/\(name).latent",
            ])
        }
        let (viewer, url) = try startViewer([dir + "/a.latent", dir + "/b.latent", "--model", model])
        defer { viewer.terminate() }
        let (status, text) = try runScript(
            python: python, [repoRoot + "/tools/check_viewer.py", url, "--seconds", "2"])
        print("ViewerBrowserCLITests: \(text)")
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("\"console_errors\": 0"), text)
    }

    /// Starts `nerfinv view` with `arguments` on a free port; returns the process and the address it printed.
    func startViewer(_ arguments: [String]) throws -> (Process, String) {
        let (viewer, report, _) = try launchViewer(arguments)
        let url = try XCTUnwrap(report["url"] as? String)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), "loopback by default: \(url)")
        return (viewer, url)
    }

    /// The test tools' Python (`make testdeps`), or nil after saying why the test cannot run.
    func browserPython() throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/chromium") }) else {
            // Said, not silent: the browser test needs Debian's chromium (make testdeps installs it).
            print("ViewerBrowserCLITests: SKIPPED, chromium is not installed (make testdeps installs it)")
            throw XCTSkip("chromium is not installed")
        }
        let python = repoRoot + "/.build/meshcheck/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            XCTFail("\(python) is missing: `make testdeps` sets up the test tools")
            throw XCTSkip("no test tools")
        }
        return python
    }

    /// A photo dropped on an empty viewer's page (picked with its file button): a file that is not
    /// a PNG is refused with a reason on the page; the photo's object shows, then its refined latent.
    func testDroppedPhotoInHeadlessChromium() throws {
        let python = try browserPython()
        let bad = dir + "/not_a_photo.png"
        try Data("a text file with a .png name".utf8).write(to: URL(fileURLWithPath: bad))
        let (viewer, url) = try startViewer(["--model", repoRoot + "/models/cars.nvm"])
        defer { viewer.terminate() }
        let (status, text) = try runScript(
            python: python,
            [
                repoRoot + "/tools/check_viewer.py", url, "--drop", repoRoot + "/scenes/photos/car_160.png", "--refuse",
                bad,
            ])
        print("ViewerBrowserCLITests (drop): \(text)")
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("\"refusal_shown\": true"), text)
        XCTAssertTrue(text.contains("\"dropped_latent\": 0"), text)
    }
}
