// swift-tools-version:6.0
import PackageDescription

// Layering: CShims (the only C/C++) <- FileIO <- NeuralCore, Imaging, Geometry <- Scenes, Datasets <- Model
// <- Pipeline (the applications, one folder per use case) <- the nerfinv CLI (ArgumentParser, FileIO and
// Pipeline only). docs/architecture.md explains it.

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
        // `make docs`: the DocC catalogs of the library modules.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CShims",
            path: "CShims",
            cSettings: [.unsafeFlags(["-O3"])],
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [
                .linkedLibrary("openblas"),
                .linkedLibrary("dnnl"),
                .linkedLibrary("png16"),
                .linkedLibrary("gif"),
                .linkedLibrary("z"),
                .linkedLibrary("stdc++"),
                .linkedLibrary("m"),
                // Open MPI is opened with dlopen, only under mpirun (mpi_bridge.c).
                .linkedLibrary("dl"),
            ]
        ),
        .target(name: "FileIO", dependencies: ["CShims"]),
        .target(name: "NeuralCore", dependencies: ["CShims", "FileIO"], swiftSettings: numeric),
        .target(name: "Imaging", dependencies: ["CShims", "FileIO"], swiftSettings: numeric),
        .target(name: "Geometry", dependencies: ["CShims"]),
        .target(name: "Scenes", dependencies: ["FileIO", "NeuralCore", "Geometry", "Imaging"], swiftSettings: numeric),
        .target(name: "Datasets", dependencies: ["FileIO", "Geometry", "Imaging"]),
        .target(name: "Model", dependencies: ["FileIO", "NeuralCore", "Geometry", "Imaging", "Datasets"], swiftSettings: numeric),
        .target(
            name: "Pipeline",
            dependencies: [
                "FileIO", "NeuralCore", "Imaging", "Geometry", "Scenes", "Datasets", "Model",
            ]),
        .executableTarget(
            name: "nerfinv",
            dependencies: [
                "FileIO", "NeuralCore", "Imaging", "Geometry", "Scenes", "Datasets", "Model", "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["NeuralCore"], path: "Tests/TestSupport"),
        // The readers' fuzz harness (`make fuzz`); built plainly it replays the seed corpora.
        .executableTarget(
            name: "nerfinv-fuzz", dependencies: ["FileIO", "Imaging", "Model", "Scenes", "Pipeline"], path: "Tests/Fuzz",
            exclude: ["corpus"]),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "FileIO", "Geometry", "Imaging"]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "FileIO", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "FileIO", "NeuralCore", "TestSupport"]),
        .testTarget(name: "GeometryTests", dependencies: ["Geometry", "NeuralCore"]),
        .testTarget(name: "CLITests", dependencies: ["nerfinv", "Imaging", "Model", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "NeuralCore", "FileIO", "Geometry", "Datasets", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Model", "NeuralCore", "Imaging", "FileIO", "Scenes", "Datasets", "TestSupport"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "FileIO", "Geometry", "Imaging", "NeuralCore", "Datasets"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
