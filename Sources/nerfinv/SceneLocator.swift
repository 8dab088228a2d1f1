import ArgumentParser
import Foundation

/// Finds scenes/cars.json from the working directory or beside the executable's checkout.
enum SceneLocator {
    static func cars() throws -> String {
        var candidates = ["scenes/cars.json"]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("scenes/cars.json").path)
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("cannot find scenes/cars.json; run from the nerfinv checkout")
        }
        return found
    }
}
