import ArgumentParser
import FileIO
import Foundation
import Pipeline

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

    @Option(
        help: "One object folder: SRN layout (rgb/, pose/, intrinsics.txt) or NeRF-synthetic (transforms_train.json).")
    var views: String

    @Option(help: "Latent file to write (JSON).")
    var out: String

    @Option(help: "Adam steps.")
    var steps: Int = MultiViewFit.defaultSteps

    @Option(help: "Rays per step.")
    var rays: Int = MultiViewFit.defaultRaysPerStep

    @Option(help: "Random seed for ray batches.")
    var seed: UInt64 = 7

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard steps >= 1, steps <= 100_000 else { throw ValidationError("--steps must be in 1...100000") }
        guard rays >= 16, rays <= 65536 else { throw ValidationError("--rays must be in 16...65536") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [views, modelOptions.model])
        try plan.add(file: out)
        let model = try modelOptions.load()
        let bar = ProgressBar(total: steps, label: "fit", unit: "steps", quiet: output.silent)
        let r = try MultiViewFit.run(
            model: model, views: views, steps: steps, rays: rays, seed: seed, progress: bar.psnr)
        try r.latent.write(to: out)
        LatentScene.removeStaleDelta(besideLatent: out)
        let lo = r.viewPSNR.min()!, hi = r.viewPSNR.max()!
        output.report(
            [
                "object": r.objectID, "latent": out, "mean_view_psnr_db": r.meanPSNR, "min_view_psnr_db": lo,
                "max_view_psnr_db": hi,
                "views": r.viewPSNR.count, "seconds": r.seconds,
            ],
            String(
                format: "%@: mean PSNR %.2f dB over %d views (min %.2f, max %.2f) in %.1f s -> %@", r.objectID,
                r.meanPSNR, r.viewPSNR.count,
                lo, hi, r.seconds, out))
    }
}
