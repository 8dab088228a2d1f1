import ArgumentParser
import Foundation
import Pipeline

/// Finds the benchmarks' scene file from the working directory or beside the executable's checkout:
/// the shipped model's own family, `scenes/cars_gen1.json`, so the figures stay comparable across
/// changes to the default scene.
enum SceneLocator {
    static let benchmarkScene = "scenes/cars_gen1.json"

    static func cars() throws -> String {
        var candidates = [benchmarkScene]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(benchmarkScene).path)
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("cannot find \(benchmarkScene); run from the nerfinv checkout")
        }
        return found
    }
}
