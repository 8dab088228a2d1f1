import FileIO
import Foundation
import XCTest

/// Several files written as one result: all renamed into place, or, when any fails, none.
final class AtomicFileTests: XCTestCase {
    func testTransactionWritesAllOrNone() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-atomic-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a.txt", b = dir + "/b.txt"
        try AtomicFile.write(Data("old a".utf8), to: a)
        try AtomicFile.write(Data("old b".utf8), to: b)
        struct Failure: Error {}
        XCTAssertThrowsError(
            try AtomicFile.transaction {
                try AtomicFile.write(Data("new a".utf8), to: a)
                try AtomicFile.write(to: b) { _ in throw Failure() }
            })
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "old a", "the first file waited for the second")
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "old b")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["a.txt", "b.txt"], "no temporaries left"
        )
        try AtomicFile.transaction {
            try AtomicFile.write(Data("new a".utf8), to: a)
            try AtomicFile.write(Data("new b".utf8), to: b)
            XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "old a", "renamed only at the end")
        }
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new a")
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "new b")
        // A transaction inside another joins it: nothing lands until the outer one ends well.
        XCTAssertThrowsError(
            try AtomicFile.transaction {
                try AtomicFile.transaction { try AtomicFile.write(Data("inner a".utf8), to: a) }
                XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new a", "the inner transaction waited")
                throw Failure()
            })
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new a")
        // A folder where a file goes is refused by name.
        try FileManager.default.createDirectory(atPath: dir + "/c.txt", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir + "/c.txt")) {
            XCTAssertTrue("\($0)".contains("is a folder"), "\($0)")
        }
    }
}
