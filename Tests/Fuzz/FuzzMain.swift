import FileIO
import Foundation
import Imaging
import Model
import Pipeline
import Scenes

// libFuzzer harnesses of nerfinv's readers (`make fuzz`). Built with the fuzzer and ASan
// (`swift build --sanitize fuzzer --sanitize address -Xswiftc -DNERFINV_FUZZ`), libFuzzer's main
// drives the target named by NERFINV_FUZZ_TARGET; built plainly (as `make test` builds every
// target), it replays corpus files through the same readers. Each target takes bytes as a user's
// file would bring them: a reader may refuse them with an error, never crash, hang or allocate
// without bound.
//
//   NERFINV_FUZZ_TARGET=png nerfinv-fuzz [libFuzzer flags] CORPUS...   (fuzz build)
//   nerfinv-fuzz png CORPUS...                                         (replay build)
// Targets: png, model, latent, delta, preset, scene, request.

/// One reader under test: bytes in, any error accepted.
struct FuzzTarget {
    let name: String
    let run: (Data) -> Void
}

enum Fuzz {
    /// Where inputs are written for readers that take a path (in memory where /dev/shm exists).
    static let folder: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/nerfinv-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// The bytes written to `name` in the scratch folder, and its path.
    static func file(_ data: Data, _ name: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    /// The model latents and deltas are checked against: the tiny one of the seed corpus, found
    /// beside the corpora (`NERFINV_FUZZ_MODEL`, default Tests/Fuzz/corpus/model/tiny.nvm).
    static let model: NeRFModel? = {
        let path = ProcessInfo.processInfo.environment["NERFINV_FUZZ_MODEL"] ?? "Tests/Fuzz/corpus/model/tiny.nvm"
        return try? NeRFModel.load(path).model
    }()

    /// Parameter files end in a CRC-32 of what precedes it, which a mutated input almost never
    /// matches: the model and delta targets read each input as it is and with its checksum
    /// repaired, so that mutations reach the header's JSON and the tensors behind the check.
    static func withRepairedChecksum(_ data: Data) -> Data? {
        guard data.count >= 20 else { return nil }
        var fixed = data
        let crc = data.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(data.count - 4)])) }
        fixed.replaceSubrange((data.count - 4)..<data.count, with: withUnsafeBytes(of: crc.littleEndian) { Data($0) })
        return fixed
    }

    static let targets: [FuzzTarget] = [
        FuzzTarget(name: "png") { _ = try? PNG.read(file($0, "input.png"), maxPixels: 1 << 22) },
        FuzzTarget(name: "model") { data in
            for d in [data, withRepairedChecksum(data)].compactMap({ $0 }) {
                _ = try? NeRFModel.load(file(d, "input.nvm"))
            }
        },
        FuzzTarget(name: "latent") { data in
            guard let model else { return }
            _ = try? LatentFile.read(file(data, "input.latent"), for: model)
        },
        FuzzTarget(name: "delta") { data in
            guard let model else { return }
            for d in [data, withRepairedChecksum(data)].compactMap({ $0 }) {
                _ = try? DecoderDelta.read(file(d, "input.delta"), for: model)
            }
        },
        FuzzTarget(name: "preset") { data in
            let path = file(data, "input.json")
            _ = try? Preset.load(RefineSettings.self, from: path)
            _ = try? Preset.load(TrainConfig.self, from: path)
        },
        FuzzTarget(name: "scene") { data in
            let path = file(data, "scene.json")
            _ = try? SceneSpec.load(path)
            _ = try? SceneSpec.loadLightingRanges(path)
        },
        FuzzTarget(name: "request") { ViewerProtocol.exercise(Array($0)) },
    ]
}

#if NERFINV_FUZZ
    // libFuzzer's own main drives these; the target comes from NERFINV_FUZZ_TARGET.
    nonisolated(unsafe) let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["NERFINV_FUZZ_TARGET"] ?? ""
        guard let t = Fuzz.targets.first(where: { $0.name == name }) else {
            let names = Fuzz.targets.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("set NERFINV_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        return t
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        current.run(size == 0 || data == nil ? Data() : Data(bytes: data!, count: size))
        return 0
    }
#else
    @main
    struct FuzzMain {
        /// Replays every file named, or in a folder named, through TARGET.
        static func main() {
            let args = CommandLine.arguments
            guard args.count >= 2, let target = Fuzz.targets.first(where: { $0.name == args[1] }) else {
                let names = Fuzz.targets.map(\.name).joined(separator: ", ")
                FileHandle.standardError.write(Data("usage: nerfinv-fuzz TARGET CORPUS... (targets: \(names))\n".utf8))
                exit(2)
            }
            defer { try? FileManager.default.removeItem(atPath: Fuzz.folder) }
            var count = 0
            for path in args.dropFirst(2) {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
                let files =
                    isDir.boolValue
                    ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map {
                        path + "/" + $0
                    }
                    : [path]
                for f in files {
                    guard let data = FileManager.default.contents(atPath: f) else { continue }
                    target.run(data)
                    count += 1
                }
            }
            print("nerfinv-fuzz \(target.name): replayed \(count) inputs")
        }
    }
#endif
