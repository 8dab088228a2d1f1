import ArgumentParser
import Datasets
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore

/// `nerfinv fit`: the multi-view upper bound for single-view inversion.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit an identity code to all posed views of one object with the decoder frozen, and report PSNR.",
        discussion: """
        Example:
          nerfinv fit --model models/cars.nvm --views data/cars_test/cars-s2-00000 --out car0.latent
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "One object folder: SRN layout (rgb/, pose/, intrinsics.txt) or NeRF-synthetic (transforms_train.json).")
    var views: String

    @Option(help: "Latent file to write (JSON).")
    var out: String

    @Option(help: "Adam steps.")
    var steps: Int = 300

    @Option(help: "Rays per step.")
    var rays: Int = 2048

    @Option(help: "Random seed for ray batches.")
    var seed: UInt64 = 7

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard steps >= 1, steps <= 100_000 else { throw ValidationError("--steps must be in 1...100000") }
        guard rays >= 16, rays <= 65536 else { throw ValidationError("--rays must be in 16...65536") }
    }

    func run() throws {
        let (model, sha) = try modelOptions.load()
        let object = try MultiViewDataset.loadObject(views)
        let W = object.views[0].image.width, H = object.views[0].image.height
        let trainViews = object.views.map { TrainingData.View(image: $0.image, camera: $0.camera) }
        let t0 = Date()
        let fitter = CodeFitter(decoder: model.decoder, start: model.meanCode, views: trainViews, width: W, height: H, seed: seed)
        fitter.raysPerStep = rays
        let bar = ProgressBar(total: steps, label: "fit", unit: "steps", quiet: output.silent)
        let loss = fitter.fit(steps: steps) { s, mse in
            bar.update(s, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
        }
        let code = fitter.code.array
        let renderer = FieldRenderer(decoder: model.decoder, code: code)
        var psnrs: [Double] = []
        for v in object.views {
            let pred = renderer.render(camera: v.camera).image
            psnrs.append(Metrics.psnr(pred, v.image))
        }
        let mean = psnrs.reduce(0, +) / Double(psnrs.count)
        let seconds = Date().timeIntervalSince(t0)
        let angles = Rig.angles(of: object.views[0].camera.position)
        let k = object.views[0].camera.intrinsics
        let halfAngle: Double = atan(Double(k.height) / 2 / k.focal)
        let fovDegrees: Double = 2 * halfAngle * 180 / Double.pi
        let latent = LatentFile(
            model: .init(name: URL(fileURLWithPath: modelOptions.model).lastPathComponent, sha256: sha), identity: code,
            view: .init(azimuth: angles.azimuth, elevation: angles.elevation, distance: angles.distance, fov: fovDegrees, gain: nil, bias: nil),
            obtained: .init(method: "fit", source: views, steps: steps, views: object.views.count, seconds: seconds),
            losses: ["final_batch_mse": Double(loss), "mean_view_psnr_db": mean])
        try latent.write(to: out)
        output.report(["object": object.id, "latent": out, "mean_view_psnr_db": mean, "min_view_psnr_db": psnrs.min()!,
                       "max_view_psnr_db": psnrs.max()!, "views": psnrs.count, "seconds": seconds],
                      String(format: "%@: mean PSNR %.2f dB over %d views (min %.2f, max %.2f) in %.1f s -> %@", object.id, mean, psnrs.count,
                             psnrs.min()!, psnrs.max()!, seconds, out))
    }
}
