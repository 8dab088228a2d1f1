import FileIO
import Foundation
import Imaging
import TestSupport
import XCTest

/// The classes of the hardening issue: memory that scales with an input, outputs that name inputs,
/// multi-file writes that fail half-way, non-regular files, absurd model configs. Each case asserts
/// the message, the exit status, the peak memory where it matters, and that files already on disk
/// are byte-identical afterwards.
final class HardeningCLITests: CLITestCase {
    var shippedModel: String { repoRoot + "/models/cars_gen1.nvm" }
    var photo: String { repoRoot + "/scenes/photos/car_256.png" }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Runs nerfinv expecting a refusal whose message contains every one of `says`.
    func refused(_ args: [String], _ says: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(args, timeout: 30)
        XCTAssertNotEqual(r.status, 0, args.joined(separator: " "), file: file, line: line)
        for s in says {
            XCTAssertTrue(r.stderr.contains(s), "\(args[0]): '\(r.stderr)' lacks '\(s)'", file: file, line: line)
        }
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Code="), r.stderr, file: file, line: line)
    }

    /// Peak resident memory of one run, in MB, as nerfinv reports it.
    func peakMB(_ r: CLIResult) throws -> Int {
        let m = try XCTUnwrap(r.stderr.range(of: #"peak resident memory [0-9]+ MB"#, options: .regularExpression))
        return Int(r.stderr[m].split(separator: " ")[3])!
    }

    func testExtremePhotosStayWithinMemoryAndNonRegularFilesAreRefused() throws {
        // A 6000x1000 panorama (a car-coloured box in the middle; its crop square at photo resolution would
        // be 5000² x 16 bytes = 400 MB) and a 1x100000 strip (whose square would be 125000², 250 GB).
        func stripes(_ w: Int, _ h: Int) -> [UInt8] {
            var s = [UInt16](repeating: 255, count: w * h * 3)
            for y in (h * 3 / 10)..<(h * 7 / 10) {
                for x in (w / 3)..<(w * 2 / 3) {
                    s[(y * w + x) * 3] = 40
                    s[(y * w + x) * 3 + 1] = 60
                    s[(y * w + x) * 3 + 2] = 200
                }
            }
            return PNGFixture(width: w, height: h, colorType: 2, bitDepth: 8, samples: s).encode()
        }
        let pano = dir + "/pano.png", strip = dir + "/strip.png"
        try Data(stripes(6000, 1000)).write(to: URL(fileURLWithPath: pano))
        try Data(stripes(1, 100_000)).write(to: URL(fileURLWithPath: strip))
        for crop in ["auto", "none"] {
            let r = try CLI.run(
                [
                    "invert", pano, "--model", shippedModel, "--out", dir + "/pano.latent", "--no-refine", "--crop",
                    crop,
                ],
                timeout: 30, environment: ["NERFINV_REPORT_PEAK_MEMORY": "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            // The float image (16 bytes a pixel) and the program: no square at photo resolution.
            XCTAssertLessThan(try peakMB(r), 6 * 20 + 200, "panorama, --crop \(crop)")
        }
        let r = try CLI.run(
            [
                "invert", strip, "--model", shippedModel, "--out", dir + "/strip.latent", "--no-refine", "--crop",
                "none",
            ],
            timeout: 30, environment: ["NERFINV_REPORT_PEAK_MEMORY": "1"])
        XCTAssertLessThan(try peakMB(r), 250, r.stderr)
        // A folder and a FIFO given as photos: refused at once, never opened.
        try refused(["invert", dir, "--model", shippedModel, "--out", dir + "/f.latent"], [dir, "is a folder"])
        let fifo = dir + "/fifo.png"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        try refused(
            ["invert", fifo, "--model", shippedModel, "--out", dir + "/f.latent"], [fifo, "not a regular file"])
        // A large render is made in tiles: 1024² stays far below the 16 GB the whole-frame buffers took.
        _ = try ok(["invert", photo, "--model", shippedModel, "--out", dir + "/car.latent", "--no-refine", "--quiet"])
        let big = try CLI.run(
            [
                "render", "--model", shippedModel, "--latent", dir + "/car.latent", "--azimuth", "30", "--elevation",
                "20", "--size", "1024", "--out", dir + "/big.png",
            ], timeout: 60, environment: ["NERFINV_REPORT_PEAK_MEMORY": "1"])
        XCTAssertEqual(big.status, 0, big.stderr)
        XCTAssertLessThan(try peakMB(big), 300)
    }

    func testOutputsNeverNameInputsAndFailuresChangeNothing() throws {
        let a = dir + "/a.png"
        try FileManager.default.copyItem(atPath: photo, toPath: a)
        let original = try bytes(a)
        try refused(["invert", a, "--model", shippedModel, "--out", a], [a, "is also an input"])
        try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        let side = dir + "/d/car_input.png"
        try FileManager.default.copyItem(atPath: photo, toPath: side)
        try refused(
            ["invert", side, "--model", shippedModel, "--out", dir + "/d/car.latent"], ["car_input.png", "input"])
        XCTAssertEqual(try bytes(a), original)
        XCTAssertEqual(try bytes(side), original)

        // A first inversion's outputs, then a second whose turntable folder is a file: refused up
        // front, nothing of the first changed.
        let latent = dir + "/car.latent"
        _ = try ok(["invert", a, "--model", shippedModel, "--out", latent, "--no-refine", "--quiet"])
        let outputs = [latent, dir + "/car_input.png", dir + "/car_input_reconstruction.png"]
        let before = try outputs.map(bytes)
        try "a file".write(toFile: dir + "/tt", atomically: true, encoding: .utf8)
        try refused(
            ["invert", photo, "--model", shippedModel, "--out", latent, "--turntable", dir + "/tt", "--no-refine"],
            ["tt", "not a folder"])
        XCTAssertEqual(try outputs.map(bytes), before)
        // A folder as the overview, as the depth image: refused before the colour image is written.
        try FileManager.default.createDirectory(atPath: dir + "/ov.png", withIntermediateDirectories: true)
        try refused(
            ["invert", photo, "--model", shippedModel, "--out", latent, "--overview", dir + "/ov.png", "--no-refine"],
            ["ov.png", "folder"])
        XCTAssertEqual(try outputs.map(bytes), before)
        let colour = dir + "/colour.png"
        try PNG.write(RGBAImage(width: 2, height: 2), to: colour)
        let keep = try bytes(colour)
        let renderArgs = [
            "render", "--model", shippedModel, "--latent", latent, "--azimuth", "10", "--elevation", "20", "--size",
            "16", "--out", colour,
        ]
        try refused(renderArgs + ["--depth", dir + "/ov.png"], ["ov.png", "folder"])
        // Depth at a distance its 16-bit encoding cannot hold is refused, not written as all 65535.
        try refused(renderArgs + ["--depth", dir + "/depth.png", "--distance", "20"], ["--distance 20", "6.55"])
        XCTAssertEqual(try bytes(colour), keep)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/depth.png"))

        // A rewritten output keeps its mode, and a symlinked one stays a link to the rewritten target.
        chmod(latent, 0o600)
        let link = dir + "/link.latent"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: latent)
        _ = try ok(["invert", photo, "--model", shippedModel, "--out", link, "--no-refine", "--quiet"])
        var st = stat()
        XCTAssertEqual(stat(latent, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), latent)
        XCTAssertNotEqual(try bytes(latent), before[0], "the link's target was rewritten")
    }

    /// Model files whose config asks for absurd sizes, with a correct checksum: refused at once with
    /// the field named, before any allocation.
    func testAbsurdModelConfigsAreRefusedBeforeAllocating() throws {
        let model = [UInt8](try bytes(shippedModel))
        let h = Int(model[12]) | Int(model[13]) << 8 | Int(model[14]) << 16 | Int(model[15]) << 24
        let header = String(decoding: model[16..<(16 + h)], as: UTF8.self)
        func edited(_ from: String, _ to: String) -> [UInt8] {
            XCTAssertTrue(header.contains(from), from)
            let newHeader = Array(header.replacingOccurrences(of: from, with: to).utf8)
            let n = newHeader.count
            var body =
                Array(model[0..<12]) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
            body += newHeader + Array(model[(16 + h)..<(model.count - 4)])
            let crc = body.withUnsafeBytes { CRC32.checksum($0) }
            return body + [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        }
        let fovRange = try XCTUnwrap(header.range(of: #""fovDegrees":[0-9.]+"#, options: .regularExpression))
        let fov = String(header[fovRange])
        let cases: [(String, [UInt8], String)] = [
            ("samples.nvm", edited(#""samplesPerRay":48"#, #""samplesPerRay":1000000"#), "samplesPerRay"),
            ("planes.nvm", edited(#""planeResolution":32"#, #""planeResolution":1000000"#), "planeResolution"),
            ("channels.nvm", edited(#""planeChannels":16"#, #""planeChannels":17"#), "weights"),
            ("input.nvm", edited(#""inputSize":64"#, #""inputSize":100000"#), "inputSize"),
            ("fov.nvm", edited(fov, #""fovDegrees":0"#), "fovDegrees"),
        ]
        for (name, data, says) in cases {
            let path = dir + "/" + name
            try Data(data).write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(
                ["invert", photo, "--model", path, "--out", dir + "/x.latent", "--no-refine"], timeout: 30,
                environment: ["NERFINV_REPORT_PEAK_MEMORY": "1"])
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertTrue(r.stderr.contains(name) && r.stderr.contains(says), "\(name): \(r.stderr)")
            XCTAssertLessThan(try peakMB(r), 400, name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.latent"))
    }

    /// Silent nonsense turned into answers: geometry out of range in files, absurd numbers in flags
    /// and latents, batch flags beyond the memory budget, negative angles.
    func testOutOfRangeGeometryAndNumbersAreNamed() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/data", "--objects", "1", "--views",
            "2", "--resolution", "16", "--supersample", "1", "--seed", "4", "--quiet",
        ])
        let object = dir + "/data/cars-s4-00000"
        let intrinsics = try String(contentsOfFile: object + "/intrinsics.txt", encoding: .utf8)
        let pose = try String(contentsOfFile: object + "/pose/000000.txt", encoding: .utf8)
        let train = ["train", "--data", dir + "/data", "--out", dir + "/m.nvm", "--steps", "1", "--quiet"]
        let firstLine = intrinsics.split(separator: "\n")[0].split(separator: " ")
        for (file, contents, says) in [
            ("intrinsics.txt", "1e30 " + firstLine[1...].joined(separator: " ") + "\n", "focal length"),
            ("intrinsics.txt", intrinsics + "1000000000 1000000000\n", "pixels"),
            ("pose/000000.txt", "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "from the origin"),
        ] {
            try contents.write(toFile: object + "/" + file, atomically: true, encoding: .utf8)
            try refused(train, [file, says])
            try intrinsics.write(toFile: object + "/intrinsics.txt", atomically: true, encoding: .utf8)
            try pose.write(toFile: object + "/pose/000000.txt", atomically: true, encoding: .utf8)
        }
        // A FIFO in place of a view or a pose: refused by name, never opened (it would block forever).
        for file in ["rgb/000001.png", "pose/000001.txt"] {
            let saved = try bytes(object + "/" + file)
            try FileManager.default.removeItem(atPath: object + "/" + file)
            XCTAssertEqual(mkfifo(object + "/" + file, 0o600), 0)
            try refused(train, [file, "not a regular file"])
            try FileManager.default.removeItem(atPath: object + "/" + file)
            try saved.write(to: URL(fileURLWithPath: object + "/" + file))
        }
        // Batch flags within their ranges but beyond the memory budget: refused before loading data.
        try refused(
            [
                "train", "--data", dir + "/data", "--out", dir + "/m.nvm", "--objects-per-batch", "40",
                "--rays-per-object",
                "65536",
            ], ["needs", "GB", "--max-memory"])
        // A scene whose rig stands at 1e308 is refused up front; nothing is generated.
        var scene = try String(contentsOfFile: repoRoot + "/scenes/cars.json", encoding: .utf8)
        scene = scene.replacingOccurrences(of: #""distance": 3.0"#, with: #""distance": 1e308"#)
        try scene.write(toFile: dir + "/far.json", atomically: true, encoding: .utf8)
        try refused(
            ["generate", "--scene", dir + "/far.json", "--out", dir + "/far", "--objects", "1", "--quiet"],
            ["far.json", "rig.distance"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/far/cars-s1-00000"))

        // Latents: a code of 3.4e38 is out of range for the model; negative angles parse.
        let latent = dir + "/car.latent"
        _ = try ok(["invert", photo, "--model", shippedModel, "--out", latent, "--no-refine", "--quiet"])
        let text = try String(contentsOfFile: latent, encoding: .utf8)
        let first = try XCTUnwrap(text.range(of: #"-?[0-9]+\.[0-9]+(e-?[0-9]+)?"#, options: .regularExpression))
        try text.replacingCharacters(in: first, with: "3.4e38").write(
            toFile: dir + "/huge.latent", atomically: true, encoding: .utf8)
        let render = ["render", "--model", shippedModel, "--size", "16", "--out", dir + "/r.png"]
        try refused(
            render + ["--latent", dir + "/huge.latent", "--azimuth", "0", "--elevation", "20"],
            ["huge.latent", "out of range"])
        _ = try ok(render + ["--latent", latent, "--azimuth", "-30", "--elevation", "-20", "--quiet"])
        // A huge but finite azimuth means itself mod 360: the same picture as its remainder.
        _ = try ok(render + ["--latent", latent, "--azimuth", "1e308", "--elevation", "20", "--quiet"])
        let huge = try PNG.read(dir + "/r.png").image
        let reduced = 1e308.truncatingRemainder(dividingBy: 360)
        _ = try ok(render + ["--latent", latent, "--azimuth", "\(reduced)", "--elevation", "20", "--quiet"])
        XCTAssertEqual(huge.pixels, try PNG.read(dir + "/r.png").image.pixels)
        XCTAssertLessThan(huge.pixels.reduce(0, +) / Float(huge.pixels.count), 0.99, "not a white image")
        // eval with no mode, and on a training set, says so.
        try refused(
            ["eval", "--model", shippedModel, "--data", dir + "/data", "--modes", ""], ["--modes names no mode"])
        try refused(
            ["eval", "--model", shippedModel, "--data", dir + "/data", "--modes", "encoder"], ["train-protocol"])
    }

    /// generate writes each object under a hidden name and renames it when complete, updates
    /// dataset.json as objects finish, resumes a rerun with the same settings, refuses a folder
    /// holding another dataset, and refuses a scene whose objects are never in view.
    func testGenerateResumesAndRefusesDebris() throws {
        let out = dir + "/set"
        let args = [
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", out, "--views", "2", "--resolution", "16",
            "--supersample", "1", "--seed", "3", "--quiet",
        ]
        _ = try ok(args + ["--objects", "2"])
        let first = try bytes(out + "/cars-s3-00001/rgb/000001.png")
        // What an interrupted run leaves: a half-written hidden object. The rerun removes it and resumes.
        try FileManager.default.createDirectory(
            atPath: out + "/.cars-s3-00002.partial/rgb", withIntermediateDirectories: true)
        _ = try ok(args + ["--objects", "3"])
        XCTAssertEqual(try bytes(out + "/cars-s3-00001/rgb/000001.png"), first)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/cars-s3-00002/rgb/000001.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/.cars-s3-00002.partial"))
        let manifest = try JSONSerialization.jsonObject(with: bytes(out + "/dataset.json")) as! [String: Any]
        XCTAssertEqual(manifest["objects"] as? Int, 3)
        try refused(args.map { $0 == "16" ? "32" : $0 } + ["--objects", "3"], [out, "other settings"])
        XCTAssertEqual(try bytes(out + "/cars-s3-00001/rgb/000001.png"), first)
        // A rig so far away that no car is ever in view.
        var scene = try String(contentsOfFile: repoRoot + "/scenes/cars.json", encoding: .utf8)
        scene = scene.replacingOccurrences(of: #""distance": 3.0"#, with: #""distance": 900"#)
        try scene.write(toFile: dir + "/far.json", atomically: true, encoding: .utf8)
        try refused(
            [
                "generate", "--scene", dir + "/far.json", "--out", dir + "/far", "--objects", "1", "--resolution", "16",
                "--quiet",
            ],
            ["far.json", "plain background"])
    }
}
