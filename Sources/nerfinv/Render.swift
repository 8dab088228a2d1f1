import ArgumentParser
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore

/// `nerfinv render`: one view of a latent.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a latent from any camera of the rig.",
        discussion: """
        Example:
          nerfinv render --latent car.latent --azimuth 120 --elevation 25 --size 256 --out car_120.png --depth car_120_depth.png
        """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Latent file (JSON) from fit or invert.")
    var latent: String

    @Option(help: "Camera azimuth in degrees (0 = in front of the object, counter-clockwise from above).")
    var azimuth: Double

    @Option(help: "Camera elevation in degrees above the ground plane.")
    var elevation: Double

    @Option(help: "Output PNG.")
    var out: String

    @Option(help: "Also write a 16-bit depth PNG (camera-z x 10000, 0 = background).")
    var depth: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireFinite([azimuth, elevation], "--azimuth and --elevation")
        guard abs(elevation) < 89.9 else { throw ValidationError("--elevation must lie strictly between -90 and 90") }
    }

    func run() throws {
        let (model, sha) = try modelOptions.load()
        let code = try LatentFile.read(latent, for: model, modelSHA256: sha).identity
        let renderer = FieldRenderer(decoder: model.decoder, code: code)
        let cam = Rig.camera(azimuth: azimuth, elevation: elevation, distance: camera.distance, fovDegrees: camera.fov,
                             width: camera.size, height: camera.size)
        let frame = renderer.render(camera: cam)
        try PNG.write(srgbImage(frame.image), to: out)
        if let depth {
            try PNG.writeGray16(frame.depth.map { UInt16(min(65535, max(0, ($0 * 10000).rounded()))) }, width: camera.size, height: camera.size, to: depth)
        }
        var fields: [String: Any] = ["out": out, "azimuth": azimuth, "elevation": elevation, "size": camera.size]
        if let depth { fields["depth"] = depth }
        output.report(fields, "wrote \(out)" + (depth.map { " and \($0)" } ?? ""))
    }
}

/// The field renders colours in the space the training images were stored in (sRGB), so only
/// clamping is needed before writing.
func srgbImage(_ img: RGBAImage) -> RGBAImage {
    var out = img
    for i in 0..<out.pixels.count { out.pixels[i] = min(1, max(0, out.pixels[i])) }
    return out
}

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

    @Option(help: "Camera elevation in degrees.")
    var elevation: Double = 20

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
        try requireFinite([elevation], "--elevation")
        guard abs(elevation) < 89.9 else { throw ValidationError("--elevation must lie strictly between -90 and 90") }
    }

    func run() throws {
        let (model, sha) = try modelOptions.load()
        let code = try LatentFile.read(latent, for: model, modelSHA256: sha).identity
        try Self.write(decoder: model.decoder, code: code, frames: frames, elevation: elevation, camera: camera, to: out, quiet: output.silent)
        output.report(["out": out, "frames": frames, "contact_sheet": out + "/contact_sheet.png"],
                      "wrote \(frames) frames and contact_sheet.png to \(out)")
    }

    /// frame_000.png ... and contact_sheet.png in `out` (created if missing; other files kept).
    static func write(decoder: TriplaneDecoder, code: [Float], frames: Int, elevation: Double, camera: CameraOptions,
                      to out: String, quiet: Bool) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let renderer = FieldRenderer(decoder: decoder, code: code)
        let bar = ProgressBar(total: frames, label: "turntable", unit: "frames", quiet: quiet)
        var images: [RGBAImage] = []
        for f in 0..<frames {
            let cam = Rig.camera(azimuth: 360 * Double(f) / Double(frames), elevation: elevation, distance: camera.distance,
                                 fovDegrees: camera.fov, width: camera.size, height: camera.size)
            let img = srgbImage(renderer.render(camera: cam).image)
            try PNG.write(img, to: "\(out)/" + String(format: "frame_%03d.png", f))
            images.append(img)
            bar.update(f + 1)
        }
        try PNG.write(ContactSheet.make(images, columns: min(frames, 9)), to: "\(out)/contact_sheet.png")
    }
}
