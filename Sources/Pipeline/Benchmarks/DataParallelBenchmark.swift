import Foundation
import Model
import NeuralCore

/// Data-parallel decoder training, measured and modelled (`nerfinv bench data-parallel`, alone or
/// under `mpirun`): the step time of this run's ranks and threads, the part spent in the allreduce,
/// the bytes it sums, and a model of the step for N machines on a stated network.
enum DataParallelBenchmark {
    public struct Measurement: Codable {
        public var ranks: Int
        public var threadsPerRank: Int
        public var objects: Int
        public var raysPerObject: Int
        /// Median wall seconds of a whole step, and of its allreduce (waiting for the slowest rank included).
        public var stepSeconds: Double
        public var allreduceSeconds: Double
        /// Floats every rank contributes per step: the field's gradients, the batch's code
        /// gradients and the loss.
        public var floatsPerStep: Int
        public var bytesPerStep: Int { 4 * floatsPerStep }
        /// The step less its allreduce: the work each rank's share took.
        public var computeSeconds: Double { stepSeconds - allreduceSeconds }
    }

    /// Times `steps` training steps (after 3 untimed) of `objects` x `rays` split over `group`,
    /// from a trained model's weights and codes past the skipping warm-up.
    static func measure(
        model trained: NeRFModel, data: TrainingData, objects: Int, rays: Int, steps: Int, group: Communicator
    ) -> Measurement {
        var config = TrainConfig()
        config.objectsPerBatch = objects
        config.raysPerObject = rays
        let trainer = Trainer(data: data, config: config, field: trained.config.decoder)
        trainer.group = group
        trainer.warmStart(from: trained, step: config.skipping.warmupSteps)
        for _ in 0..<3 { trainer.trainStep() }
        var total: [Double] = [], reduce: [Double] = []
        for _ in 0..<steps {
            let t0 = Timing.now()
            trainer.trainStep()
            total.append(Timing.now() - t0)
            reduce.append(trainer.allreduceSeconds)
        }
        let floats =
            trainer.field.parameters.reduce(0) { $0 + $1.tensor.count } + objects * trainer.field.spec.codeDim + 1
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        return Measurement(
            ranks: group.size, threadsPerRank: Parallel.threads, objects: objects, raysPerObject: rays,
            stepSeconds: median(total), allreduceSeconds: median(reduce), floatsPerStep: floats)
    }

    /// A modelled step for N machines, each as fast as one rank of the measured run.
    public struct ModelRow: Codable {
        public var machines: Int
        public var gigabitsPerSecond: Double
        public var stepSeconds: Double
        public var communicationSeconds: Double
        /// Rays per step from which the allreduce is at most a tenth of the step's compute.
        public var raysWhereCommunicationFades: Double
    }

    /// Ring allreduce: each of N ranks sends and receives 2 (N-1)/N of the buffer, in 2 (N-1)
    /// messages of `latency` seconds each. The compute of a batch is `computeSeconds` on one
    /// machine and falls as 1/N; rays scale it linearly (the field's per-object setup is ignored).
    public static func model(
        computeSeconds: Double, rays: Int, bytes: Int, machines: [Int], gigabitsPerSecond: [Double],
        latency: Double = 20e-6
    ) -> [ModelRow] {
        var rows: [ModelRow] = []
        for bandwidth in gigabitsPerSecond {
            for n in machines {
                let N = Double(n)
                let comm = n == 1 ? 0 : 2 * (N - 1) / N * Double(bytes) * 8 / (bandwidth * 1e9) + 2 * (N - 1) * latency
                let perRay = computeSeconds / Double(rays)
                rows.append(
                    ModelRow(
                        machines: n, gigabitsPerSecond: bandwidth, stepSeconds: computeSeconds / N + comm,
                        communicationSeconds: comm, raysWhereCommunicationFades: 10 * comm * N / perRay))
            }
        }
        return rows
    }

    /// The measurement of this run's ranks (every rank takes part; rank 0 reports) and, from it,
    /// the model for 1-64 machines at 10 and 100 Gbit/s.
    static func run(model: String, objects: Int, rays: Int, steps: Int, scene: String) throws -> BenchReport {
        let group = try Communicator.world()
        guard objects >= group.size else {
            throw BenchError(
                "--objects \(objects) cannot be split over \(group.size) ranks: give at least \(group.size)")
        }
        let data = try BenchmarkData.cars(objects: objects, scene: scene)
        let (trained, _) = try NeRFModel.load(model)
        let m = measure(model: trained, data: data, objects: objects, rays: rays, steps: steps, group: group)
        let out = BenchReport()
        out.say(
            String(
                format:
                    "data-parallel train step (%d objects x %d rays) on %d rank(s) x %d thread(s): median %.4f s, allreduce %.4f s (%.0f%%), %.2f MB summed per step",
                objects, rays, m.ranks, m.threadsPerRank, m.stepSeconds, m.allreduceSeconds,
                100 * m.allreduceSeconds / m.stepSeconds, Double(m.bytesPerStep) / 1e6))
        out.set("measurement", try JSONSerialization.jsonObject(with: JSONEncoder().encode(m)))
        // The model starts from one machine computing the whole batch: this run's compute times its ranks.
        let compute = m.computeSeconds * Double(m.ranks)
        let rows = Self.model(
            computeSeconds: compute, rays: objects * rays, bytes: m.bytesPerStep, machines: [1, 2, 4, 8, 16, 32, 64],
            gigabitsPerSecond: [10, 100])
        out.say(
            String(
                format:
                    "model: N machines like one rank here (%d thread(s)), one alone computing the batch in %.4f s; ring allreduce of %.2f MB, 20 µs a message",
                m.threadsPerRank, compute, Double(m.bytesPerStep) / 1e6))
        out.say(
            "  machines  Gbit/s  step (s)  of which allreduce (s)  speed-up  rays/step where allreduce <= 10% of compute"
        )
        for r in rows {
            out.say(
                String(
                    format: "  %8d  %6.0f  %8.4f  %22.4f  %8.1f  %.0f", r.machines, r.gigabitsPerSecond, r.stepSeconds,
                    r.communicationSeconds, compute / r.stepSeconds, r.raysWhereCommunicationFades))
        }
        out.set("model", try JSONSerialization.jsonObject(with: JSONEncoder().encode(rows)))
        return out
    }
}

/// A benchmark's settings cannot run.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
