import Foundation
import Imaging
import Model
import XCTest

@testable import Pipeline

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The viewer's server in-process on a free port: the page, the API, and the refusals of what a
/// browser must not ask for (latents not given, sizes out of range, unknown edits).
final class ViewerServerTests: XCTestCase {
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .path
    }

    func get(_ url: URL) async throws -> (status: Int, body: Data) {
        try await withCheckedThrowingContinuation { done in
            URLSession.shared.dataTask(with: url) { data, response, error in
                if let error { return done.resume(throwing: error) }
                done.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }.resume()
        }
    }

    func testPageFramesAndRefusals() async throws {
        let modelPath = repoRoot + "/models/cars_gen1.nvm"
        let (model, _) = try NeRFModel.load(modelPath)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("viewer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try LatentEditing.fresh(
            model: model, identity: model.meanCode, method: "mean"
        )
        .write(to: dir + "/mean.latent")
        let session = try ViewerSession(model: model, latents: [dir + "/mean.latent"])
        let server = try ViewerServer(session: session, port: 0)
        let task = Task { try await server.run() }
        let port = try await server.port()
        let base = "http://127.0.0.1:\(port)"
        let page = try await get(URL(string: base + "/")!)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("nerfinv view"))
        let info =
            try JSONSerialization.jsonObject(with: try await get(URL(string: base + "/api/info")!).body)
            as! [String: Any]
        XCTAssertEqual((info["latents"] as! [Any]).count, 1)
        XCTAssertEqual(info["directions"] as? [String], ["pc1", "pc2", "pc3", "pc4", "pc5"])
        let frame = try await get(URL(string: base + "/api/frame?latent=0&az=40&el=15&size=48&client=t")!)
        XCTAssertEqual(frame.status, 200)
        XCTAssertEqual(Array(frame.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(frame.body[16..<20].reduce(0) { $0 << 8 | Int($1) }, 48, "a 48-pixel frame")
        for mode in ["depth", "normals"] {
            let r = try await get(URL(string: base + "/api/frame?size=32&mode=\(mode)&edit=pc1:1")!)
            XCTAssertEqual(r.status, 200, mode)
        }
        for bad in [
            "latent=3", "size=9999", "edit=pc1:9", "mode=x-ray", "latent=..%2Fa", "el=120", "edit=wings:1",
            // Numbers out of every integer range, or absurdly long, are refused before any conversion.
            "size=1e300", "size=-1e300", "latent=99999999999999999999", "az=" + String(repeating: "1", count: 5000),
            "edit=pc1:1e39",
        ] {
            let r = try await get(URL(string: base + "/api/frame?" + bad)!)
            XCTAssertEqual(r.status, 400, bad)
        }
        // The WebSocket stream's answers: raw RGBA after an 8-byte header naming the state's number and
        // size; a refused state names its number and the reason.
        let streamed = ViewerStream.answer("seq=7&latent=0&az=40&el=15&size=24&mode=rgb", session: session)
        guard case .frame(let raw) = streamed else { return XCTFail("expected a frame, got \(streamed)") }
        XCTAssertEqual(raw.count, 8 + 24 * 24 * 4)
        XCTAssertEqual(Array(raw.prefix(8)), [7, 0, 0, 0, 24, 0, 24, 0])
        XCTAssertTrue(raw.dropFirst(8).contains { $0 < 200 }, "the object shows in the streamed frame")
        for (bad, reason) in [
            ("seq=8&size=9999", "error 8: size"), ("latent=0", "error 0: seq"), ("seq=9&latent=2", "error 9: latent"),
        ] {
            guard case .refusal(let t) = ViewerStream.answer(bad, session: session) else { return XCTFail(bad) }
            XCTAssertTrue(t.hasPrefix(reason), t)
        }
        // The downloads: a GLB mesh and a GIF turntable of the latent.
        let glb = try await get(URL(string: base + "/api/mesh.glb?latent=0")!)
        XCTAssertEqual(glb.status, 200)
        XCTAssertEqual(Array(glb.body.prefix(4)), Array("glTF".utf8))
        let gif = try await get(URL(string: base + "/api/turntable.gif?latent=0")!)
        XCTAssertEqual(gif.status, 200)
        XCTAssertEqual(Array(gif.body.prefix(6)), Array("GIF89a".utf8))
        // The MP4 beside the GIF, where ffmpeg is installed (make installs it).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") {
            let mp4 = try await get(URL(string: base + "/api/turntable.mp4?latent=0")!)
            XCTAssertEqual(mp4.status, 200)
            XCTAssertEqual(String(decoding: mp4.body[4..<8], as: UTF8.self), "ftyp", "an MP4 container")
        }
        let missing = try await get(URL(string: base + "/api/mesh.glb?latent=9")!)
        XCTAssertEqual(missing.status, 400)
        await server.stop()
        _ = try? await task.value
    }

    func post(_ url: URL, body: Data, headers: [String: String]) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        return try await withCheckedThrowingContinuation { done in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { return done.resume(throwing: error) }
                done.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }.resume()
        }
    }

    /// A dropped photo: refused when it is not a PNG, too large, from another site's page or not an
    /// image the inversion can read; taken otherwise, shown at once as a new latent (the encoder's,
    /// for a model without an iterative encoder), and replaced by its quickly refined latent, then
    /// by its default inversion.
    func testDroppedPhotos() async throws {
        let (model, _) = try NeRFModel.load(repoRoot + "/models/cars_gen1.nvm")
        let session = try ViewerSession(model: model, latents: [])
        let server = try ViewerServer(session: session, port: 0)
        let task = Task { try await server.run() }
        let base = "http://127.0.0.1:\(try await server.port())"
        let photo = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/scenes/photos/car_160.png"))
        let url = URL(string: base + "/api/photo?name=car_160.png")!
        let png = ["Content-Type": "image/png"]
        var refused = try await post(url, body: Data("not a photo at all".utf8), headers: png)
        XCTAssertEqual(refused.status, 415)
        XCTAssertTrue(String(decoding: refused.body, as: UTF8.self).contains("not a PNG"))
        refused = try await post(url, body: photo, headers: ["Content-Type": "text/plain"])
        XCTAssertEqual(refused.status, 415)
        refused = try await post(url, body: photo, headers: png.merging(["Origin": "http://evil.example"]) { $1 })
        XCTAssertEqual(refused.status, 403, "another site's page may not send photos")
        refused = try await post(url, body: Data(count: (16 << 20) + 1), headers: png)
        XCTAssertEqual(refused.status, 413)
        // A PNG signature on a broken file: the inversion's reader says what is wrong, not where it was kept.
        refused = try await post(
            url, body: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 1, 2]), headers: png)
        XCTAssertEqual(refused.status, 422)
        let said = String(decoding: refused.body, as: UTF8.self)
        XCTAssertFalse(said.contains(NSTemporaryDirectory()) || said.contains("nerfinv-view-"), said)
        let taken = try await post(url, body: photo, headers: png)
        XCTAssertEqual(taken.status, 200, String(decoding: taken.body, as: UTF8.self))
        let answer = try JSONSerialization.jsonObject(with: taken.body) as! [String: Any]
        XCTAssertEqual(answer["latent"] as? Int, 0)
        let frame = try await get(URL(string: base + "/api/frame?latent=0&size=32&client=d")!)
        XCTAssertEqual(frame.status, 200, "the dropped photo's latent renders at once")
        // Then the quick refinement (version 1) and the default inversion (version 2) replace it.
        var state = "", versions = Set<Int>()
        for _ in 0..<900 {
            let info = try JSONSerialization.jsonObject(with: try await get(URL(string: base + "/api/info")!).body)
            let latents = (info as! [String: Any])["latents"] as! [[String: Any]]
            XCTAssertEqual(latents.count, 1)
            state = latents[0]["state"] as? String ?? ""
            versions.insert(latents[0]["version"] as? Int ?? -1)
            if state != "fast" && state != "quick" { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTAssertEqual(state, "full")
        XCTAssertEqual(versions.max(), 2)
        await server.stop()
        _ = try? await task.value
    }
}
