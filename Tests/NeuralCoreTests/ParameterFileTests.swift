import FileIO
import Foundation
import NeuralCore
import TestSupport
import XCTest

final class ParameterFileTests: XCTestCase {
    struct Config: Codable, Equatable {
        var width: Int
        var name: String
    }
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-pf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func sample() -> [(name: String, tensor: Tensor)] {
        var rng = SplitMix64(seed: 40)
        return [("decoder.w", random([4, 3], &rng)), ("decoder.b", random([3], &rng)), ("empty", Tensor([0, 5]))]
    }

    func testRoundTripF32AndF16() throws {
        let tensors = sample()
        for dtype in [ParameterFile.DType.f32, .f16] {
            let path = dir.appendingPathComponent("m-\(dtype).nvm").path
            try ParameterFile.write(
                to: path, tensors: tensors, config: Config(width: 64, name: "cars"), metadata: ["scene": "cars"],
                dtype: dtype)
            let back = try ParameterFile.read(from: path, config: Config.self)
            XCTAssertEqual(back.config, Config(width: 64, name: "cars"))
            XCTAssertEqual(back.metadata["scene"], "cars")
            XCTAssertEqual(back.tensors.map(\.name), tensors.map(\.name))
            for (a, b) in zip(tensors, back.tensors) {
                XCTAssertEqual(a.tensor.shape, b.tensor.shape)
                for i in 0..<a.tensor.count {
                    // fp16 keeps 11 significant bits: relative error at most 2^-11.
                    let tol: Float = dtype == .f32 ? 0 : abs(a.tensor[i]) * 4.9e-4 + 1e-7
                    XCTAssertEqual(a.tensor[i], b.tensor[i], accuracy: tol)
                }
            }
            _ = try ParameterFile.read(from: path, config: NoConfig.self)  // config not needed
        }
    }

    func bytes(_ tensors: [(name: String, tensor: Tensor)]) throws -> Data {
        try ParameterFile.encode(tensors: tensors, config: Config(width: 1, name: "x"), metadata: [:], dtype: .f32)
    }

    func assertRejected(_ data: Data, containing fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let path = dir.appendingPathComponent("bad-\(UUID().uuidString).nvm").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data))
        do {
            _ = try ParameterFile.read(from: path, config: Config.self)
            XCTFail("accepted a bad file (\(fragment))", file: file, line: line)
        } catch let e as FileError {
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(
                e.reason.contains(fragment), "message '\(e.reason)' lacks '\(fragment)'", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testCorruptFilesAreRejectedWithClearErrors() throws {
        let good = try bytes(sample())
        assertRejected(Data(), containing: "empty")
        assertRejected(good.prefix(10), containing: "truncated")
        assertRejected(good.prefix(good.count - 9), containing: "checksum")
        var flipped = good
        flipped[good.count - 20] ^= 0x10
        assertRejected(flipped, containing: "checksum")
        var magic = good
        magic[0] = UInt8(ascii: "X")
        assertRejected(magic, containing: "magic")
        assertRejected(Data("{\"not\": \"a model\"}\n padding padding".utf8), containing: "magic")
        var future = good
        future[8] = 99
        assertRejected(future, containing: "version")
    }

    /// Rewrites the trailing checksum so that only the deliberate defect remains.
    func resealed(_ data: Data) -> Data {
        var d = data.prefix(data.count - 4)
        let crc = d.withUnsafeBytes { CRC32.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { d.append(contentsOf: $0) }
        return Data(d)
    }

    func testNaNAndInconsistentHeadersAreRejected() throws {
        let t = Tensor([2], values: [1, 2])
        var nan = try bytes([("w", t)])
        // The payload's last float sits just before the checksum.
        let nanBits = Float.nan.bitPattern.littleEndian
        withUnsafeBytes(of: nanBits) { nan.replaceSubrange((nan.count - 8)..<(nan.count - 4), with: $0) }
        assertRejected(resealed(nan), containing: "NaN")

        // A header claiming more values than the payload holds.
        let good = try bytes([("w", t)])
        let text = String(decoding: good, as: UTF8.self)
        let patched = text.replacingOccurrences(of: "\"count\":2", with: "\"count\":9").replacingOccurrences(
            of: "\"shape\":[2]", with: "\"shape\":[9]")
        XCTAssertNotEqual(patched, text)
        assertRejected(resealed(Data(patched.utf8)), containing: "outside the payload")
    }

    func testMissingFileAndAtomicWrite() throws {
        XCTAssertThrowsError(
            try ParameterFile.read(from: dir.appendingPathComponent("nope.nvm").path, config: Config.self)
        ) { e in
            XCTAssertTrue("\(e)".contains("nope.nvm"))
        }
        // Writing into a missing folder fails and creates nothing.
        XCTAssertThrowsError(
            try ParameterFile.write(
                to: dir.appendingPathComponent("missing/m.nvm").path, tensors: sample(),
                config: Config(width: 1, name: "x")))
        // A failed write leaves the previous file intact.
        let path = dir.appendingPathComponent("keep.nvm").path
        try ParameterFile.write(to: path, tensors: sample(), config: Config(width: 1, name: "x"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(
            try AtomicFile.write(to: path) { _ in throw FileError(path: path, reason: "simulated failure") })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }
}
