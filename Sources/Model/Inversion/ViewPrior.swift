import Datasets
import Geometry
import NeuralCore

// Pseudo-views of the code-only result for the layered phase. V views of S x S pixels, L rays per
// step.

/// The layered phase's prior on the views no photo shows: renders of the code-only result from
/// rig cameras away from every photo and its mirror image serve as soft targets for the layered
/// field (the pseudo-multi-view supervision of single-view 3D GAN inversion). A residual that
/// fits the photo then cannot reshape what nothing saw, while the photo's own side and its mirror,
/// which the mirror prior shapes, stay free.
final class ViewPrior {
    let cameras: [Camera]
    let targets: [[Float]]  // V x (S, S, 3)
    let side: Int
    let step: RenderStep
    let loss: PhotometricMSE
    let light: ViewLight
    /// Azimuths of the pseudo-views' ring (degrees), at the rig's middle elevation.
    static let azimuths = stride(from: 0.0, to: 360.0, by: 30.0).map { $0 }
    static let elevation = 20.0
    /// Side of the pseudo-views (coarse: they keep shape and colour, not detail).
    static let maxSide = 64

    /// Renders the pseudo-views of `code` on `field`'s base (no residuals) under `light`; nil when
    /// every ring camera lies within the margin of a photo or its mirror.
    init?(
        field: LayeredField, code: [Float], light: ViewLight, photoAzimuths: [Double], settings: LayerSettings,
        distance: Double, fov: Double, side photoSide: Int
    ) {
        func gap(_ a: Double, _ b: Double) -> Double {
            let d = abs((a - b).truncatingRemainder(dividingBy: 360))
            return min(d, 360 - d)
        }
        let free = photoAzimuths.flatMap { [$0, 360 - $0] }
        let ring = Self.azimuths.filter { a in free.allSatisfy { gap(a, $0) > settings.viewPriorMargin } }
        guard !ring.isEmpty else { return nil }
        let S = min(Self.maxSide, photoSide)
        side = S
        cameras = ring.map {
            Rig.camera(azimuth: $0, elevation: Self.elevation, distance: distance, fovDegrees: fov, width: S, height: S)
        }
        let renderer = FieldRenderer(field: field.base, code: code)
        renderer.light = light
        targets = cameras.map { cam in
            let img = renderer.render(camera: cam).image
            return (0..<(S * S * 3)).map { img.pixels[4 * ($0 / 3) + $0 % 3] }
        }
        self.light = light
        step = RenderStep(field: field, objects: 1, rays: settings.viewPriorRays)
        loss = PhotometricMSE(weight: settings.viewPriorWeight)
    }

    /// One render of random pseudo-view pixels with the layered field; its gradients add into the
    /// field's residual gradients (the code's are left out: the code answers to the photos).
    /// Returns the weighted loss.
    @discardableResult
    func run(code: UnsafePointer<Float>, rng: inout SplitMix64) -> Float {
        let field = step.field as! LayeredField
        let L = step.R, S = side
        var rays = RayBatch(rays: L, samples: field.spec.samplesPerRay)
        for q in 0..<L {
            let v = rng.nextInt(cameras.count), i = rng.nextInt(S), j = rng.nextInt(S)
            let r = cameras[v].ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
            for c in 0..<3 {
                rays.origins[3 * q + c] = Float(r.origin[c])
                rays.directions[3 * q + c] = Float(r.direction[c])
                rays.targets[3 * q + c] = targets[v][(j * S + i) * 3 + c]
            }
            rays.setLight(light, ray: q)
        }
        rays.drawSampling(rng: &rng, probeFraction: 0)
        // The mirror loss is the photos' step's: not twice.
        let mirror = field.mirrorWeight
        field.mirrorWeight = 0
        defer { field.mirrorWeight = mirror }
        return step.run(rays: rays, codes: code, losses: [loss]) { _ in [nil] }[0]
    }
}
