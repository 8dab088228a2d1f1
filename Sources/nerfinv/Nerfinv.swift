import ArgumentParser
import FileIO
import Foundation
import Pipeline

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
            Generate.self, Train.self, TrainEncoder.self, TrainMatting.self, Fit.self, Invert.self, Render.self,
            Turntable.self, Eval.self,
            Compare.self, IterationSheetCommand.self, ExportMesh.self, Interpolate.self, Edit.self, EditCheck.self,
            Sample.self, View.self,
            EvalMatting.self, Bench.self,
        ]
    )

    static func main() {
        // Must run before any BLAS work: may re-execute the process with a faster OpenBLAS kernel.
        Compute.ensureBestKernel()
        // Ctrl-C or SIGTERM mid-write leaves no hidden temporary files behind.
        AtomicFile.removeTemporariesOnInterrupt()
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
            exit(withError: plain(error))
        }
    }

    /// Errors as a user reads them: Foundation's domains and codes and Swift's coding errors become
    /// sentences naming the file where one is known; the command's own errors pass through.
    static func plain(_ error: Error) -> Error {
        switch error {
        case is FileError, is ValidationError, is ExitCode, is CleanExit: return error
        case let e as EncodingError:
            if case .invalidValue(let value, _) = e {
                return ValidationError("a value to be written is not a finite number (\(value)); nothing was written")
            }
            return ValidationError("a result could not be encoded")
        case let e as DecodingError:
            switch e {
            case .dataCorrupted(let c): return ValidationError("unreadable settings: \(c.debugDescription)")
            case .keyNotFound(let k, _): return ValidationError("missing setting '\(k.stringValue)'")
            case .typeMismatch(_, let c), .valueNotFound(_, let c):
                return ValidationError(
                    "setting '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type or is out of range"
                )
            @unknown default: return ValidationError("unreadable settings")
            }
        default:
            let ns = error as NSError
            guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
            let path =
                ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
            return FileErrors.described(error, path: path)
        }
    }
}
