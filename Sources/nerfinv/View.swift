import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv view`: a local web page to turn inverted objects with the mouse.
struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at latents from every side, live, in the browser (a local web server).",
        discussion: """
            Open the printed address: drag to orbit, wheel to zoom, switch latents, views (colour, \
            depth, normals) and edit sliders (principal directions, and the model's attributes), and \
            download a GLB mesh or a GIF turntable. Frames render on this machine's CPU, low resolution \
            while dragging and full when still. A PNG dropped on the page (or picked with its file \
            button) is inverted here: the encoders' latent shows at once (`invert --fast`), the \
            default inversion replaces it a few seconds later. It listens on 127.0.0.1 only, unless --host says \
            otherwise (then every request must carry the token printed in its address); it answers only \
            its own page (not another site's scripts, nor a renamed host); the page can only choose \
            among the latents named here. Ctrl-C stops it.

            Examples:
              nerfinv view car.latent other.latent --port 8080
              nerfinv view          # no latents yet: drop photos on the page
            """
    )

    @Argument(help: "Latent files to show (none: start empty and drop photos on the page).")
    var latents: [String] = []

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Matting network that removes the background of dropped photos that have one.")
    var matting: String = "models/matting.nvm"

    @Option(help: "Address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port: Int = 8080

    @Option(
        help: "Threads a frame renders on (default: all cores; fewer leave the browser a core on the same machine).")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256") }
        guard host.split(separator: ".").count == 4, host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) else {
            throw ValidationError("--host takes an IPv4 address such as 127.0.0.1")
        }
    }

    func run() throws {
        if let threads { Compute.use(threads: threads) }
        let model = try modelOptions.load()
        let matting = try InversionSession.loadMatting(
            self.matting, for: .auto, explicit: CommandLine.arguments.contains("--matting"))
        let session = try ViewerSession(model: model, latents: latents, matting: matting)
        // A dropped photo's first latent should not wait for the encoders' one-time set-up.
        DispatchQueue.global().async { model.iterativeEncoder?.warmUp() }
        // Off loopback anyone on the network could reach it: every request must then carry a token.
        let token = ViewerServer.isLoopback(host) ? nil : ViewerServer.makeToken()
        if token != nil {
            FileHandle.standardError.write(
                Data(
                    ("nerfinv view: warning: listening on \(host), so the viewer is reachable from the network; "
                        + "only the address with its token below opens it\n").utf8))
        }
        let server = try ViewerServer(session: session, host: host, port: UInt16(port), token: token)
        let done = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        Task.detached {
            do { try await server.run() } catch { failure.error = error }
            done.signal()
        }
        Task.detached {
            let p: UInt16
            do { p = try await server.port() } catch {
                FileHandle.standardError.write(
                    Data("nerfinv view: the server did not start listening: \(error)\n".utf8))
                return
            }
            let url = "http://\(host):\(p)/" + (token.map { "?token=\($0)" } ?? "")
            output.report(["url": url, "latents": latents.count], "nerfinv view: open \(url)")
            fflush(stdout)  // a pipe or log file sees the address at once, not at exit
        }
        // Ctrl-C (or SIGTERM) ends the viewer cleanly: the dropped photos' private folder goes with it.
        Compute.catchStopSignals()
        while done.wait(timeout: .now() + 0.2) == .timedOut {
            if Compute.stopRequested {
                session.close()
                return
            }
        }
        session.close()
        if let error = failure.error { throw ValidationError("the viewer stopped: \(error)") }
    }
}

/// An error handed from the server's task to the command.
final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
