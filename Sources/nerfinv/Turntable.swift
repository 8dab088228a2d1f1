import ArgumentParser
import FileIO
import Foundation
import Model
import Pipeline

/// `nerfinv turntable`: frames around the object plus a contact sheet.
struct Turntable: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render frames all around a latent (frame_000.png ...) and a contact sheet.",
        discussion: """
            Example:
              nerfinv turntable --latent car.latent --frames 36 --elevation 20 --size 128 --out turntable/
            Existing files in the folder other than the frames and the sheet are left alone.
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Latent file (JSON) from fit or invert.")
    var latent: String

    @Option(help: "Number of frames, evenly spaced in azimuth.")
    var frames: Int = 36

    @Option(parsing: .unconditional, help: "Camera elevation in degrees.")
    var elevation: Double = 20

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var lightOptions: LightOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
        try requireFinite([elevation], "--elevation")
        guard abs(elevation) < 89.9 else { throw ValidationError("--elevation must lie strictly between -90 and 90") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [latent, DecoderDelta.path(forLatent: latent), modelOptions.model])
        try plan.add(folder: out)
        let (model, sha) = try modelOptions.load()
        let scene = try LatentScene.load(latent, model: model, modelSHA256: sha)
        let file = scene.latent
        let code = file.identity, light = try lightOptions.resolve(file, path: latent)
        let bar = ProgressBar(total: frames, label: "turntable", unit: "frames", quiet: output.silent)
        try RenderExport.turntable(
            field: scene.field, code: code, frames: frames, elevation: elevation, camera: camera.renderCamera, to: out,
            light: light, progress: { bar.update($0) })
        output.report(
            ["out": out, "frames": frames, "contact_sheet": out + "/contact_sheet.png"],
            "wrote \(frames) frames and contact_sheet.png to \(out)")
    }
}
