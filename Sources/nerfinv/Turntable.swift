import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv turntable`: frames around the object plus a contact sheet.
struct Turntable: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render frames all around a latent (frame_000.png ...), a contact sheet and an animated GIF.",
        discussion: """
            Examples:
              nerfinv turntable --latent car.latent --frames 36 --elevation 20 --size 128 --out turntable/
              nerfinv turntable --latent car.latent --out turntable/ --gif car.gif --mp4 car.mp4
            The folder also gets turntable.gif (one palette for the animation, looping, 12 frames a \
            second, frames up to 256 pixels) unless --gif names another file. --mp4 encodes the frames \
            with the ffmpeg program (H.264), which must be installed. Existing files in the folder \
            other than these are left alone.
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

    @Option(help: "Animated GIF to write (default: turntable.gif in the output folder).")
    var gif: String?

    @Option(help: "Also write an MP4 (H.264, through the ffmpeg program).")
    var mp4: String?

    @OptionGroup var lightOptions: LightOptions
    @OptionGroup var output: OutputOptions

    var gifPath: String { gif ?? out + "/turntable.gif" }

    func validate() throws {
        if let gif, !gif.lowercased().hasSuffix(".gif") { throw ValidationError("--gif should name a .gif file") }
        if let mp4, !mp4.lowercased().hasSuffix(".mp4") { throw ValidationError("--mp4 should name a .mp4 file") }
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
        try requireFinite([elevation], "--elevation")
        guard abs(elevation) < 89.9 else { throw ValidationError("--elevation must lie strictly between -90 and 90") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: LatentScene.inputs(ofLatent: latent) + [modelOptions.model])
        try plan.add(folder: out)
        if let gif { try plan.add(file: gif) }
        if let mp4 {
            try plan.add(file: mp4)
            _ = try Video.ffmpeg()  // before any frame is rendered
        }
        let model = try modelOptions.load()
        let scene = try LatentScene.load(latent, model: model)
        let file = scene.latent
        let code = file.identity, light = try lightOptions.resolve(file, path: latent)
        let bar = ProgressBar(total: frames, label: "turntable", unit: "frames", quiet: output.silent)
        try RenderExport.turntable(
            field: scene.field, code: code, frames: frames, elevation: elevation, camera: camera.renderCamera, to: out,
            light: light, gif: gifPath, mp4: mp4, progress: { bar.update($0) })
        var fields: [String: Any] = [
            "out": out, "frames": frames, "contact_sheet": out + "/contact_sheet.png", "gif": gifPath,
        ]
        if let mp4 { fields["mp4"] = mp4 }
        output.report(
            fields,
            "wrote \(frames) frames and contact_sheet.png to \(out), \(gifPath)" + (mp4.map { " and \($0)" } ?? ""))
    }
}
