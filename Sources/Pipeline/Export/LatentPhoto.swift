import FileIO
import Foundation
import Geometry
import Imaging
import Model

/// The photo a latent was inverted from, as the model saw it (`<stem>_input.png`, written by
/// `invert`), with the camera, light and exposure inversion found: what `export-mesh` puts on the
/// texture where the photo saw the surface.
public enum LatentPhoto {
    /// `car.latent` → `car_input.png`.
    public static func path(forLatent latent: String) -> String {
        (latent.hasSuffix(".latent") ? String(latent.dropLast(7)) : latent) + "_input.png"
    }

    /// The photo beside `latentPath`, or nil (with the reason) when there is none to use: no input
    /// picture, or a latent of several photos (its input picture is their sheet).
    public static func load(latentPath: String, latent: LatentFile) throws -> (
        photo: PhotoTexture.Photo?, note: String?
    ) {
        let path = path(forLatent: latentPath)
        guard (latent.views?.count ?? 1) == 1 else {
            return (nil, "\(latentPath) was fitted to several photos: the texture is the model's alone")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            return (nil, "no \(path) beside the latent: the texture is the model's alone")
        }
        let image = try PNG.read(path).image
        let v = latent.view
        let camera = Rig.camera(
            azimuth: v.azimuth, elevation: v.elevation, distance: v.distance, fovDegrees: v.fov, width: image.width,
            height: image.height)
        func vector(_ x: [Double]?, neutral: Float) -> SIMD3<Float> {
            guard let x, x.count == 3 else { return SIMD3(repeating: neutral) }
            return SIMD3(Float(x[0]), Float(x[1]), Float(x[2]))
        }
        let light = latent.light.map { ViewLight(packed: $0) } ?? .canonical
        return (
            PhotoTexture.Photo(
                image: image, camera: camera, light: light, gain: vector(v.gain, neutral: 1),
                bias: vector(v.bias, neutral: 0)),
            nil
        )
    }
}
