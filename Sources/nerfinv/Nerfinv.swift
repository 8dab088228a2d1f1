import ArgumentParser
import Foundation
import NeuralCore

/// The nerfinv command line: one photo of an object in, a 3D latent out.
@main
struct Nerfinv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nerfinv",
        abstract: "Invert a single photo of an object into a 3D latent and render it from any viewpoint.",
        discussion: """
            nerfinv splits one view into an identity code (what the object is) and a view code (where \
            the camera was), renders the identity code with a NeRF-style volumetric decoder from any \
            camera, and refines both codes against the photo.

            Examples:
              nerfinv invert photo.png --out car.latent --turntable turntable/
              nerfinv render --latent car.latent --azimuth 120 --elevation 25 --out car.png
              nerfinv generate --out data/cars_test --objects 100 --protocol test --seed 2
              nerfinv eval --data data/cars_test --report eval.json
            Every command: nerfinv <command> --help. Results as JSON for scripts: --json.
            """,
        subcommands: [
            Generate.self, Train.self, TrainEncoder.self, Fit.self, Invert.self, Render.self, Turntable.self, Eval.self,
            Bench.self,
        ]
    )

    static func main() {
        // Must run before any BLAS work: may re-execute the process with a faster OpenBLAS kernel.
        BLASKernel.ensureBestKernel()
        // For tests and users sizing a machine: the peak resident memory, on stderr at exit.
        if ProcessInfo.processInfo.environment["NERFINV_REPORT_PEAK_MEMORY"] != nil {
            atexit {
                // VmHWM is this program's own high-water mark (getrusage's maxrss also counts the
                // parent's memory at fork time, carried over exec).
                let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
                let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? "VmHWM: 0 kB"
                let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
                FileHandle.standardError.write(Data("nerfinv: peak resident memory \(kb / 1024) MB\n".utf8))
            }
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
