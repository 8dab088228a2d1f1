import ArgumentParser
import FileIO
import Foundation
import Pipeline

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

    @Option(
        parsing: .unconditional,
        help: "Camera azimuth in degrees (0 = in front of the object, counter-clockwise from above).")
    var azimuth: Double

    @Option(parsing: .unconditional, help: "Camera elevation in degrees above the ground plane.")
    var elevation: Double

    @Option(help: "Output PNG.")
    var out: String

    @Option(help: "Also write a 16-bit depth PNG (camera-z x 10000, 0 = background).")
    var depth: String?

    @OptionGroup var lightOptions: LightOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireFinite([azimuth, elevation], "--azimuth and --elevation")
        guard abs(elevation) < 89.9 else { throw ValidationError("--elevation must lie strictly between -90 and 90") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: LatentScene.inputs(ofLatent: latent) + [modelOptions.model])
        try plan.add(file: out)
        if let depth {
            guard OutputPlan.resolve(depth) != OutputPlan.resolve(out) else {
                throw ValidationError("--depth and --out name the same file")
            }
            try plan.add(file: depth)
            try RenderExport.checkDepthRange(camera: camera.renderCamera)
        }
        let model = try modelOptions.load()
        let scene = try LatentScene.load(latent, model: model)
        let file = scene.latent
        let code = file.identity, light = try lightOptions.resolve(file, path: latent)
        try RenderExport.view(
            field: scene.field, code: code, azimuth: azimuth, elevation: elevation, camera: camera.renderCamera,
            to: out, depth: depth, light: light)
        var fields: [String: Any] = ["out": out, "azimuth": azimuth, "elevation": elevation, "size": camera.size]
        if let depth { fields["depth"] = depth }
        output.report(fields, "wrote \(out)" + (depth.map { " and \($0)" } ?? ""))
    }
}
