import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench viewer`: the viewer's frames per second per client and its slowest `/api/info`
/// with N clients dragging at once (loopback only).
struct BenchViewer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viewer",
        abstract:
            "Frames per second per client and the slowest /api/info answer of `nerfinv view` with N clients dragging at once.",
        discussion: """
            A viewer of the model's mean code is started on 127.0.0.1 (a free port) in this process; each \
            client drags over the WebSocket stream as the page does, while /api/info is asked ten times a \
            second. --download adds a row of one client beside back-to-back mesh downloads.

            Example: nerfinv bench viewer --clients 1,4,16 --seconds 10 --download
            """
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Clients dragging at once, a row each (comma separated, each 1...\(ViewerLoad.maxClients)).")
    var clients: String = "1,4,16"

    @Option(help: "Seconds each row runs (1...\(Int(ViewerLoad.maxSeconds))).")
    var seconds: Double = 10

    @Option(help: "Frame size in pixels (the page's while dragging is 128).")
    var size: Int = 128

    @Flag(help: "Add a row: one client dragging beside back-to-back mesh downloads (one at a time).")
    var download = false

    var counts: [Int] { clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !counts.isEmpty, counts.count == clients.split(separator: ",").count,
            counts.allSatisfy({ (1...ViewerLoad.maxClients).contains($0) })
        else { throw ValidationError("--clients takes counts in 1...\(ViewerLoad.maxClients), comma separated") }
        guard seconds >= 1, seconds <= ViewerLoad.maxSeconds else {
            throw ValidationError("--seconds must be in 1...\(Int(ViewerLoad.maxSeconds))")
        }
        guard (16...512).contains(size) else { throw ValidationError("--size must be in 16...512") }
    }

    func run() throws {
        options.apply()
        options.print(
            try ViewerLoad.run(
                model: try modelOptions.load(), clients: counts, seconds: seconds, size: size, download: download))
    }
}
