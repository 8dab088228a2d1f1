import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model

/// The multi-view upper bound of single-view inversion: a code fitted to every posed view of one
/// object with the field frozen, scored on those views.
public enum MultiViewFit {
    public struct Result {
        public var objectID: String
        var code: [Float]
        /// PSNR of each view's render against the view.
        public var viewPSNR: [Double]
        var finalMSE: Float
        public var seconds: Double
        public var meanPSNR: Double { viewPSNR.reduce(0, +) / Double(max(1, viewPSNR.count)) }
        /// The latent, with view 0's camera as its view code.
        public var latent: LatentFile
    }

    /// The code fitter's defaults: Adam steps, and rays a step.
    public static let defaultSteps = CodeFitter.defaultSteps
    public static let defaultRaysPerStep = CodeFitter.defaultRaysPerStep

    /// Fits the object folder `views` (SRN or NeRF-synthetic) from the model's mean code;
    /// `progress(step, mse)` after each step.
    public static func run(
        model: NeRFModel, views: String, steps: Int, rays: Int, seed: UInt64,
        progress: ((Int, Float) -> Void)? = nil
    ) throws -> Result {
        let object = try MultiViewDataset.loadObject(views)
        guard let first = object.views.first else { throw FileError(path: views, reason: "no views") }
        let W = first.image.width, H = first.image.height
        // The recorded light of each view (lighting.json), which a lit field fits under.
        let lights =
            try ViewLight.load(objectFolder: views, views: object.views.count)
            ?? Array(repeating: .canonical, count: object.views.count)
        let t0 = Date()
        let fitter = CodeFitter(
            field: model.field, start: model.meanCode,
            views: zip(object.views, lights).map { TrainingData.View(image: $0.image, camera: $0.camera, light: $1) },
            width: W, height: H, seed: seed)
        fitter.raysPerStep = rays
        let loss = fitter.fit(steps: steps, progress: progress)
        let code = fitter.code.array
        let renderer = FieldRenderer(field: model.field, code: code)
        let psnr = zip(object.views, lights).map { view, light in
            renderer.light = light
            return Metrics.psnr(renderer.render(camera: view.camera).image, view.image)
        }
        let seconds = Date().timeIntervalSince(t0)
        let angles = Rig.angles(of: first.camera.position)
        let k = first.camera.intrinsics
        let fovDegrees = 2 * atan(Double(k.height) / 2 / k.focal) * 180 / .pi
        let mean = psnr.reduce(0, +) / Double(psnr.count)
        let latent = LatentFile(
            model: model.identity, identity: code,
            view: .init(
                azimuth: angles.azimuth, elevation: angles.elevation, distance: angles.distance, fov: fovDegrees),
            obtained: .init(method: "fit", source: views, steps: steps, views: object.views.count, seconds: seconds),
            losses: ["final_batch_mse": Double(loss), "mean_view_psnr_db": mean])
        return Result(objectID: object.id, code: code, viewPSNR: psnr, finalMSE: loss, seconds: seconds, latent: latent)
    }
}
