import FileIO
import Foundation
import XCTest

final class FileIOTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fileio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func contents(_ name: String) -> String? { try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    /// A failure inside a transaction changes no file, and leaves no temporary file behind.
    func testTransactionIsAllOrNothing() throws {
        try AtomicFile.write(Data("old a".utf8), to: dir + "/a.txt")
        struct Boom: Error {}
        XCTAssertThrowsError(
            try AtomicFile.transaction {
                try AtomicFile.write(Data("new a".utf8), to: dir + "/a.txt")
                try AtomicFile.write(Data("new b".utf8), to: dir + "/b.txt")
                throw Boom()
            })
        XCTAssertEqual(contents("a.txt"), "old a")
        XCTAssertNil(contents("b.txt"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.txt"])
        try AtomicFile.transaction {
            try AtomicFile.write(Data("new a".utf8), to: dir + "/a.txt")
            // Not in place until the transaction ends.
            XCTAssertEqual(contents("a.txt"), "old a")
            try AtomicFile.write(Data("new b".utf8), to: dir + "/b.txt")
        }
        XCTAssertEqual(contents("a.txt"), "new a")
        XCTAssertEqual(contents("b.txt"), "new b")
    }

    /// An output that is an input (also through `..`), or a folder where a file goes, is refused by name.
    func testOutputPlanRefusesInputsAndFolders() throws {
        try AtomicFile.write(Data("photo".utf8), to: dir + "/photo.png")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        var plan = OutputPlan(inputs: [dir + "/photo.png"])
        XCTAssertThrowsError(try plan.add(file: dir + "/sub/../photo.png")) {
            XCTAssertTrue("\($0)".contains("is also an input"), "\($0)")
        }
        XCTAssertThrowsError(try plan.add(file: dir + "/sub")) { XCTAssertTrue("\($0)".contains("is a folder")) }
        try plan.add(file: dir + "/new/out.latent")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/new"), "the output's folder is made")
        XCTAssertEqual(plan.files, [dir + "/new/out.latent"])
        XCTAssertThrowsError(try plan.add(folder: dir + "/photo.png/frames"))
    }

    /// Small files are read after their kind and size are checked.
    func testReadFileLimitsAndKinds() throws {
        try AtomicFile.write(Data(repeating: 7, count: 100), to: dir + "/f.bin")
        XCTAssertEqual(try ReadFile.data(dir + "/f.bin", limit: 100).count, 100)
        XCTAssertThrowsError(try ReadFile.data(dir + "/f.bin", limit: 99, what: "preset")) {
            XCTAssertTrue("\($0)".contains("too large for a preset") && "\($0)".contains("f.bin"), "\($0)")
        }
        XCTAssertThrowsError(try ReadFile.data(dir, limit: 100)) { XCTAssertTrue("\($0)".contains("is a folder")) }
        XCTAssertThrowsError(try ReadFile.data(dir + "/missing", limit: 100)) {
            XCTAssertEqual(($0 as? FileError)?.path, self.dir + "/missing")
        }
    }

    /// Known answers: CRC-32 of "123456789", SHA-256 of "abc", in memory and from a file.
    func testChecksums() throws {
        let digits = Data("123456789".utf8)
        XCTAssertEqual(digits.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        XCTAssertEqual(Fingerprint.sha256Hex(Data("abc".utf8)), abc)
        try AtomicFile.write(Data("abc".utf8), to: dir + "/abc")
        XCTAssertEqual(try Fingerprint.sha256Hex(ofFile: dir + "/abc"), abc)
    }

    /// Settings differences name the keys that differ, nested ones with their path.
    func testSettingsDifference() {
        struct Inner: Codable { var x = 1 }
        struct S: Codable {
            var a = 1
            var b = "b"
            var inner = Inner()
        }
        var other = S()
        other.b = "c"
        other.inner.x = 2
        XCTAssertEqual(SettingsDifference.keys(S(), S()), [])
        let keys = SettingsDifference.keys(S(), other)
        XCTAssertEqual(keys, ["b", "inner.x"])
    }
}
