import ArgumentParser
import Foundation
import Pipeline

/// What `invert` does about a photo's background, and the matting network it uses.
struct BackgroundOptions: ParsableArguments {
    @Option(
        help:
            "A background behind the object: auto (remove it when the photo's border is not plain), keep, or remove (predict the object's mask with the matting network, make the rest white)."
    )
    var background: BackgroundMode = .auto

    @Option(help: "Matting network for --background (from `nerfinv train-matting`).")
    var matting: String = "models/matting.nvm"

    /// A session for `model` with the matting network --background needs (a missing file is an
    /// error only when --matting names it) and warnings on stderr.
    func session(model: NeRFModel) throws -> InversionSession {
        let explicit = CommandLine.arguments.contains("--matting")
        let session = InversionSession(
            model: model, matting: try InversionSession.loadMatting(matting, for: background, explicit: explicit))
        session.warn = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
        return session
    }
}
