import FileIO
import Foundation
import XCTest

/// A settings type as the library's are: defaults in the properties, keys declared once.
struct Knobs: Settings, Equatable {
    var steps = 10
    var rate: Float = 0.5
    var name: String? = nil
    var extra = 0
    var inner = Inner()
    var low = 0
    var high = 1

    struct Inner: Settings, Equatable {
        var size = 4
        static let keys: [SettingKey<Inner>] = [.init("size", \.size, in: 1...8)]
    }

    static let keys: [SettingKey<Knobs>] = [
        .init("steps", \.steps, in: 1...100, flag: "--steps"),
        .init("rate", \.rate, flag: "--rate", rule: SettingRule.positive),
        .init("name", \.name),
        .init("extra", \.extra, omitWhen: 0),
        .init(nested: "inner", \.inner),
        .init("low", \.low),
        .init("high", \.high),
        .legacy("oldSteps", \.steps),
    ]

    var relationProblem: String? { low <= high ? nil : "low must not exceed high" }
}

final class SettingsTests: XCTestCase {
    func decode(_ json: String) throws -> Knobs { try JSONDecoder().decode(Knobs.self, from: Data(json.utf8)) }

    /// A key a file lacks keeps its default; a legacy key reads into its new place.
    func testMissingKeysKeepDefaultsAndLegacyKeysRead() throws {
        XCTAssertEqual(try decode("{}"), Knobs())
        var expected = Knobs()
        expected.rate = 2
        expected.inner.size = 6
        XCTAssertEqual(try decode(#"{"rate": 2, "inner": {"size": 6}}"#), expected)
        XCTAssertEqual(try decode(#"{"oldSteps": 7}"#).steps, 7)
        XCTAssertThrowsError(try decode(#"{"steps": "many"}"#))
    }

    /// Encoding writes every key in declaration order, leaves out `omitWhen` values and absent
    /// optionals, and never writes a legacy key.
    func testEncodingOmitsWhatItShould() throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let plain = String(decoding: try enc.encode(Knobs()), as: UTF8.self)
        XCTAssertEqual(plain, #"{"high":1,"inner":{"size":4},"low":0,"rate":0.5,"steps":10}"#)
        var k = Knobs()
        k.extra = 3
        k.name = "x"
        let full = String(decoding: try enc.encode(k), as: UTF8.self)
        XCTAssertTrue(full.contains(#""extra":3"#) && full.contains(#""name":"x""#), full)
        XCTAssertEqual(try decode(full), k, "what is written reads back")
    }

    /// The first value out of range is named by its key (dotted when nested), or by its flag.
    func testProblemsNameTheKeyOrTheFlag() {
        XCTAssertNil(Knobs().firstProblem)
        var k = Knobs()
        k.steps = 0
        XCTAssertEqual(k.firstProblem?.description, "'steps' must be in 1...100")
        XCTAssertEqual(k.firstProblem?.asFlag, "--steps must be in 1...100")
        k = Knobs()
        k.rate = .nan
        XCTAssertEqual(k.firstProblem?.asFlag, "--rate must be finite and > 0")
        k = Knobs()
        k.inner.size = 9
        XCTAssertEqual(k.firstProblem?.description, "'inner.size' must be in 1...8")
        k = Knobs()
        k.low = 2
        XCTAssertEqual(k.firstProblem?.reason, "low must not exceed high")
    }

    /// A preset names the file with a value out of range or a key the type does not have, and
    /// lays its keys over a base.
    func testPresetsAreCheckedByTheType() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func preset(_ json: String) -> String {
            let path = dir + "/p\(json.count).json"
            _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
            return path
        }
        var base = Knobs()
        base.steps = 50
        let loaded = try Preset.load(Knobs.self, from: preset(#"{"rate": 1.5}"#), base: base)
        XCTAssertEqual(loaded.steps, 50)
        XCTAssertEqual(loaded.rate, 1.5)
        XCTAssertThrowsError(try Preset.load(Knobs.self, from: preset(#"{"steps": 1000}"#))) {
            XCTAssertTrue("\($0)".contains("'steps' must be in 1...100") && "\($0)".contains(".json"), "\($0)")
        }
        XCTAssertThrowsError(try Preset.load(Knobs.self, from: preset(#"{"stepz": 3}"#))) {
            XCTAssertTrue("\($0)".contains("unknown setting 'stepz'"), "\($0)")
        }
    }
}
