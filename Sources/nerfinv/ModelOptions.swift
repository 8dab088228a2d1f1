import ArgumentParser
import Foundation
import Pipeline

/// --model, shared by every command that uses a trained model.
struct ModelOptions: ParsableArguments {
    @Option(help: "Trained model file.")
    var model: String = "models/cars.nvm"

    func load() throws -> NeRFModel { try NeRFModel.load(model).model }
}

/// Camera options shared by render-like commands.
struct CameraOptions: ParsableArguments {
    @Option(help: "Camera distance from the origin (the rig's is 3).")
    var distance: Double = 3

    @Option(help: "Vertical field of view in degrees (the rig's is 40).")
    var fov: Double = 40

    @Option(help: "Output image size in pixels (square); any size works, the field is continuous.")
    var size: Int = 128

    @OptionGroup var memory: MemoryOptions

    var renderCamera: RenderCamera { RenderCamera(distance: distance, fovDegrees: fov, size: size) }

    func validate() throws {
        guard distance.isFinite, distance > 1.2, distance < 100 else {
            throw ValidationError("--distance must be in (1.2, 100): the object fills [-1, 1]^3")
        }
        guard fov.isFinite, fov > 1, fov < 170 else { throw ValidationError("--fov must be in (1, 170) degrees") }
        guard size >= 8, size <= 4096 else { throw ValidationError("--size must be in 8...4096") }
    }
}

func requireFinite(_ values: [Double], _ names: String) throws {
    guard values.allSatisfy(\.isFinite) else { throw ValidationError("\(names) must be finite numbers") }
}
