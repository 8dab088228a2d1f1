import Foundation
import Geometry
import Model
import NeuralCore
import Scenes

/// Data the benchmarks and tests make in memory, so they need no files.
enum BenchmarkData {
    /// A small in-memory dataset rendered from scenes/cars.json's generator (no files needed).
    static func cars(objects: Int, scene: String, views: Int = 8, size: Int = 64) throws -> TrainingData {
        let spec = try SceneSpec.load(scene)
        var rng = SplitMix64(seed: 99)
        var all: [[TrainingData.View]] = []
        for o in 0..<objects {
            let r = GroundTruthRenderer(
                object: spec.makeObject(seed: 99, index: o).object,
                shading: ShadingSettings(rig: spec.rig, supersample: 1))
            all.append(
                (0..<views).map { _ in
                    let cam = Rig.camera(
                        azimuth: 360 * rng.nextDouble(), elevation: 5 + 40 * rng.nextDouble(), width: size, height: size
                    )
                    return TrainingData.View(image: r.render(camera: cam).image, camera: cam)
                })
        }
        return TrainingData(ids: (0..<objects).map { "bench-\($0)" }, objects: all, width: size, height: size)
    }
}
