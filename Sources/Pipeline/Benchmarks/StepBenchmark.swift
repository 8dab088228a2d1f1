import Foundation
import Model
import NeuralCore

/// Seconds per training step and per code-fitting step from a trained model's weights and codes,
/// on cars rendered in memory (`nerfinv bench train`), with the dense-layer work each did.
enum StepBenchmark {
    struct Timing {
        /// Sorted step times.
        public var seconds: [Double]
        /// Mean samples the field evaluated per step, and all samples of a step.
        var evaluated: Double
        var samples: Double
        /// Dense-layer floating-point operations per step.
        var flops: Double
        /// The per-op profile of as many further steps (with profiling).
        var profile: OpProfile?
        var median: Double { seconds[seconds.count / 2] }
        var gflops: Double { flops / median / 1e9 }
    }

    /// Times `steps` calls of `step` (after 3 untimed), then, when `profile`, profiles as many more.
    static func time(steps: Int, profile: String?, sgemm: OpProfile.SgemmTimes, _ step: () -> Int) -> (
        seconds: [Double], evaluated: Double, profile: OpProfile?
    ) {
        for _ in 0..<3 { _ = step() }
        var times: [Double] = [], evaluated = 0
        for _ in 0..<steps {
            let t0 = NeuralCore.Timing.now()
            evaluated += step()
            times.append(NeuralCore.Timing.now() - t0)
        }
        let ops = profile.map { title in OpProfile.measure(title, steps: steps, sgemm: sgemm) { _ = step() } }
        return (times.sorted(), Double(evaluated) / Double(steps), ops)
    }

    /// A training step of `objects` x `rays` past the skipping warm-up, then a code-fitting step of 1024 rays.
    public static func run(
        model trained: NeRFModel, data: TrainingData, objects: Int, rays: Int, steps: Int, profile: Bool
    )
        -> (train: Timing, fit: Timing)
    {
        var config = TrainConfig()
        config.objectsPerBatch = objects
        config.raysPerObject = rays
        let trainer = Trainer(data: data, config: config, field: trained.config.decoder)
        // Past the warm-up, as in the bulk of a real run.
        trainer.warmStart(from: trained, step: config.skipping.warmupSteps)
        let field = trainer.field, S = Double(field.spec.samplesPerRay)
        let sgemm = OpProfile.SgemmTimes()
        let t = time(steps: steps, profile: profile ? "training step:" : nil, sgemm: sgemm) {
            trainer.trainStep()
            return trainer.evaluatedSamples
        }
        // Forward, recomputed forward and two backward products of the MLP on the evaluated samples,
        // and the generator's forward and two backward products.
        let trainFlops = field.queryFlopsPerPoint * t.evaluated * 4 + field.setupFlopsPerObject * Double(objects) * 3
        let fitter = CodeFitter(field: field, start: trained.meanCode, data: data, object: 0)
        fitter.raysPerStep = 1024
        let f = time(steps: steps, profile: profile ? "inversion step (code fit):" : nil, sgemm: sgemm) {
            fitter.step()
            return fitter.evaluatedSamples
        }
        // Code only: the MLP runs forward, recomputes forward and back-propagates to its input (no
        // weight gradients); the generator runs forward and back to the code.
        let fitFlops = field.queryFlopsPerPoint * f.evaluated * 3 + field.setupFlopsPerObject * 2
        return (
            Timing(
                seconds: t.seconds, evaluated: t.evaluated, samples: Double(objects * rays) * S, flops: trainFlops,
                profile: t.profile),
            Timing(seconds: f.seconds, evaluated: f.evaluated, samples: 1024 * S, flops: fitFlops, profile: f.profile)
        )
    }
}
