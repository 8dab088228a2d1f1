import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench data-parallel`: a training step split over mpirun's ranks, and a model of N machines.
struct BenchDataParallel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-parallel",
        abstract:
            "Seconds per data-parallel training step (alone or under mpirun), the allreduce's share, and a model of N machines.",
        discussion: """
            Run it alone and under mpirun with the same batch to compare ranks with threads, e.g. on \
            two cores:
              nerfinv bench data-parallel --threads 2
              mpirun -np 2 nerfinv bench data-parallel --threads 1
            The model takes the measured compute and allreduce volume to N machines on 10 and \
            100 Gbit/s networks (ring allreduce, 20 µs a message).
            """
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Objects per batch (split over the ranks).")
    var objects: Int = 8

    @Option(help: "Rays per object.")
    var rays: Int = 1024

    @Option(help: "Timed steps (after 3 warm-up steps).")
    var steps: Int = 20

    @Option(help: "Trained model whose weights and codes the benchmark starts from.")
    var model: String = "models/cars.nvm"

    func validate() throws {
        guard objects >= 1, objects <= 64, rays >= 1, rays <= 65536, steps >= 1, steps <= 10000 else {
            throw ValidationError("--objects 1...64, --rays 1...65536, --steps 1...10000")
        }
    }

    func run() throws {
        let group = try Communicator.world()
        options.apply(ranksHere: group.localSize)
        defer { group.finish() }
        let report = try Benchmarks.dataParallel(
            model: model, objects: objects, rays: rays, steps: steps, scene: SceneLocator.cars())
        if group.isRoot { options.print(report) }
    }
}
