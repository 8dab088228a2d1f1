// swift-tools-version:6.0
import PackageDescription

// Layering: CShims (the only C/C++) <- NeuralCore, ImageIO, Geometry <- nerfinv CLI.

/// Release: no bounds checks in the numeric modules. Debug (what `swift test` builds): optimised
/// too, or the CLI tests' inversions and renders would take minutes instead of seconds.
let numeric: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                               .unsafeFlags(["-O"], .when(configuration: .debug))]
let package = Package(
    name: "nerfinv",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nerfinv", targets: ["nerfinv"]),
        .library(name: "NeuralCore", targets: ["NeuralCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CShims",
            path: "CShims",
            cSettings: [.unsafeFlags(["-O3"])],
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [
                .linkedLibrary("openblas"),
                .linkedLibrary("png16"),
                .linkedLibrary("stdc++"),
                .linkedLibrary("m"),
            ]
        ),
        .target(name: "NeuralCore", dependencies: ["CShims"], swiftSettings: numeric),
        .target(name: "ImageIO", dependencies: ["CShims", "NeuralCore"], swiftSettings: numeric),
        .target(name: "Geometry", dependencies: ["CShims"]),
        .target(name: "Scenes", dependencies: ["NeuralCore", "Geometry", "ImageIO"], swiftSettings: numeric),
        .target(name: "Datasets", dependencies: ["NeuralCore", "Geometry", "ImageIO"]),
        .target(name: "Model", dependencies: ["NeuralCore", "Geometry", "ImageIO", "Datasets"], swiftSettings: numeric),
        .executableTarget(
            name: "nerfinv",
            dependencies: [
                "NeuralCore", "ImageIO", "Geometry", "Scenes", "Datasets", "Model",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["NeuralCore"], path: "Tests/TestSupport"),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "TestSupport"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "NeuralCore", "TestSupport"]),
        .testTarget(name: "GeometryTests", dependencies: ["Geometry"]),
        .testTarget(name: "CLITests", dependencies: ["nerfinv", "ImageIO", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "NeuralCore", "Geometry", "TestSupport"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "Geometry", "ImageIO", "NeuralCore", "Datasets"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
