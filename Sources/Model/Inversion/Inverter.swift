import Datasets
import Foundation
import Geometry
import ImageIO
import NeuralCore

// Refines an identity code and a view code against one photo, field frozen. H W photo size,
// Q rays per step, D code length.

/// Adam on (identity code, azimuth, elevation, gain, bias) against random pixels of one photo.
/// Pose gradients flow from the sample points to the rays (RaySampling.backward) and from the rays
/// to the angles through central differences of the rig camera, which is analytic and cheap.
public final class Inverter {
    public let field: any RadianceField
    public let settings: RefineSettings
    public let code: Tensor  // (1, D)
    public private(set) var view: ViewCode
    let anchor: [Float]  // (D)
    let codeVariance: Float
    let photo: [Float]  // (H, W, 3) in [0, 1]
    let width: Int, height: Int
    let distance: Double, fov: Double
    var rng: SplitMix64
    let adam = Adam()
    let pose = Tensor([2])  // azimuth, elevation in radians
    let photometric = Tensor([6])  // gain - 1 (3), bias (3)
    /// The photo's light as the field takes it (`ViewLight.packed`), when the field is lit.
    let lightCode: Tensor  // (9)
    /// The light found so far (canonical for fields that ignore light).
    public var light: ViewLight { ViewLight(packed: lightCode.array) }
    var estimatesLight: Bool { settings.refineLight && field.conditionSize > 0 }
    /// Key and sky colours stay in a physical range while the light moves.
    static let lightColourRange: ClosedRange<Float> = 0...4
    let occupancy: OccupancyCache
    var steps = 0
    /// Half-step of the central differences of rays w.r.t. the angles (radians): well above float
    /// round-off of the ray, well below the curvature of the rig's orbit.
    static let poseEpsilon = 1e-4
    /// The camera stays on the rig's band of elevations, where the decoder has seen views.
    static let elevationRange = Float(-10 * Double.pi / 180)...Float(80 * Double.pi / 180)
    let renderStep: RenderStep
    /// Pixels (j W + i) of the object dilated by `outlineDilation`, found against the border colour.
    let objectPixels: [Int]
    /// Rays per photo pixel (a power of two dividing the rays per step; 1 but for small photos).
    var footprint: Int {
        var f = 1
        while f * 2 <= settings.footprint && settings.raysPerStep % (f * 2) == 0 { f *= 2 }
        return f
    }
    /// Pixels (j W + i) rays may be drawn from when a mask hides the rest (nil: all of them).
    let visiblePixels: [Int]?
    static let outlineDilation = 2

    /// photo (H, W, 3) in [0, 1] on the rig's framing; start codes from the encoder or the mean.
    public init(
        field: any RadianceField, photo: [Float], width: Int, height: Int, startCode: [Float], startView: ViewCode,
        codeVariance: Float, settings: RefineSettings = RefineSettings(), distance: Double = Rig.distance,
        fov: Double = Rig.fovDegrees, startLight: ViewLight = .canonical, ignore: [Bool]? = nil
    ) {
        precondition(ignore == nil || ignore!.count == width * height, "one mask value per pixel")
        precondition(photo.count == width * height * 3, "photo must be (H, W, 3)")
        self.field = field
        self.settings = settings
        self.photo = photo
        self.width = width
        self.height = height
        self.distance = distance
        self.fov = fov
        code = Tensor([1, startCode.count], values: startCode)
        anchor = startCode
        view = startView
        self.codeVariance = codeVariance
        rng = SplitMix64(seed: settings.seed)
        pose[0] = Float(startView.azimuth * .pi / 180)
        pose[1] = Float(startView.elevation * .pi / 180)
        for c in 0..<3 {
            photometric[c] = startView.gain[c] - 1
            photometric[3 + c] = startView.bias[c]
        }
        lightCode = Tensor([ViewLight.count], values: startLight.packed)
        occupancy = OccupancyCache(objects: 1, settings: settings.skipping)
        renderStep = RenderStep(field: field, objects: 1, rays: settings.raysPerStep)
        // The object as `invert`'s framing finds it: pixels unlike the border colour.
        let bg = PhotoFraming.borderColour(photo, width: width, height: height)
        var mask = [Bool](repeating: false, count: width * height)
        for j in 0..<height {
            for i in 0..<width where PhotoFraming.isForeground(photo, j * width + i, background: bg) {
                let r = Self.outlineDilation
                for y in max(0, j - r)...min(height - 1, j + r) {
                    for x in max(0, i - r)...min(width - 1, i + r) { mask[y * width + x] = true }
                }
            }
        }
        // Pixels a mask hides never become rays: occluders, scratches and text do not pull the code.
        let hidden = ignore ?? []
        visiblePixels = hidden.contains(true) ? (0..<(width * height)).filter { !hidden[$0] } : nil
        objectPixels = (0..<(width * height)).filter { mask[$0] && !(hidden.isEmpty ? false : hidden[$0]) }
    }

    func camera(azimuth: Double, elevation: Double) -> Camera {
        Rig.camera(
            azimuth: azimuth * 180 / .pi, elevation: elevation * 180 / .pi, distance: distance, fovDegrees: fov,
            width: width,
            height: height)
    }

    /// Runs all steps (cosine learning-rate fall over the second half); progress(step, photo MSE).
    @discardableResult
    public func run(progress: ((Int, Float) -> Void)? = nil) -> Float {
        var loss: Float = 0
        for s in 0..<settings.steps {
            loss = step(
                lrScale: LearningRateSchedule.scale(step: s, steps: settings.steps, decayFraction: 0.5, finalScale: 0.1)
            )
            progress?(s + 1, loss)
        }
        return loss
    }

    /// Q rays at random pixels (half of them on the object and its outline) of the camera at the
    /// current pose, and d(origin, direction)/d(azimuth, elevation) per ray (Q, 2, 6).
    func drawRays() -> (rays: RayBatch, jacobian: [Float]) {
        let Q = settings.raysPerStep
        let az = Double(pose[0]), el = Double(pose[1]), e = Self.poseEpsilon
        let cams = [
            camera(azimuth: az, elevation: el), camera(azimuth: az + e, elevation: el),
            camera(azimuth: az - e, elevation: el),
            camera(azimuth: az, elevation: el + e), camera(azimuth: az, elevation: el - e),
        ]
        var rays = RayBatch(rays: Q, samples: field.spec.samplesPerRay)
        var jacobian = [Float](repeating: 0, count: Q * 12)
        // With a footprint F > 1 (a photo smaller than the model's views), each photo pixel gets F
        // rays at random points inside it, whose mean colour the loss compares with the pixel.
        let F = footprint
        var i = 0, j = 0
        func addRay(_ q: Int) {
            let x = Double(i) + (F == 1 ? 0.5 : Double(rng.nextFloat()))
            let y = Double(j) + (F == 1 ? 0.5 : Double(rng.nextFloat()))
            let r0 = cams[0].ray(x: x, y: y)
            for c in 0..<3 {
                rays.origins[3 * q + c] = Float(r0.origin[c])
                rays.directions[3 * q + c] = Float(r0.direction[c])
                rays.targets[3 * q + c] = photo[(j * width + i) * 3 + c]
            }
            for a in 0..<2 {
                let p = cams[1 + 2 * a].ray(x: x, y: y), m = cams[2 + 2 * a].ray(x: x, y: y)
                for c in 0..<3 {
                    jacobian[q * 12 + a * 6 + c] = Float((p.origin[c] - m.origin[c]) / (2 * e))
                    jacobian[q * 12 + a * 6 + 3 + c] = Float((p.direction[c] - m.direction[c]) / (2 * e))
                }
            }
        }
        for q in 0..<Q where q % F == 0 {
            if let visible = visiblePixels {
                let k = visible[rng.nextInt(visible.count)]
                i = k % width
                j = k / width
            } else {
                i = rng.nextInt(width)
                j = rng.nextInt(height)
            }
            if !objectPixels.isEmpty && rng.nextFloat() < settings.objectRayFraction {
                let k = objectPixels[rng.nextInt(objectPixels.count)]
                i = k % width
                j = k / width
            }
            for q in q..<(q + F) { addRay(q) }
        }
        rays.drawSampling(rng: &rng, probeFraction: settings.skipping.probeRayFraction)
        let current = light
        for q in 0..<Q { rays.setLight(current, ray: q) }
        return (rays, jacobian)
    }

    /// One Adam step; returns the photometric MSE of the batch before the update.
    @discardableResult
    public func step(lrScale: Float = 1) -> Float {
        let Q = settings.raysPerStep
        let (rays, jacobian) = drawRays()
        // Photometric part of the view code: pred = gain ⊙ render + bias.
        let dPhotometric = Tensor([6])
        let pixels: any LossTerm =
            settings.grayscale
            ? LuminanceMSE() : PhotometricMSE(correction: photometric, dCorrection: dPhotometric, footprint: footprint)
        let losses: [any LossTerm] = [
            pixels,
            CodeAnchor(weight: settings.anchorWeight, anchor: anchor, variance: codeVariance),
            CodePrior(weight: settings.prior),
        ]
        let cache = occupancy, step = steps
        let values = renderStep.run(
            rays: rays, codes: code.data, losses: losses, rayGradients: settings.refinePose,
            lightGradients: estimatesLight
        ) { states in
            cache.grids(for: [0], step: step, field: field, states: states)
        }
        steps += 1
        adam.beginStep()
        adam.update("code", param: code, grad: renderStep.dCodes, lr: settings.lrCode * lrScale)
        if settings.refinePose {
            let dO = renderStep.dOrigins, dD = renderStep.dDirections
            let dPose = Tensor([2])
            for q in 0..<Q {
                for a in 0..<2 {
                    for c in 0..<3 {
                        dPose[a] +=
                            dO[3 * q + c] * jacobian[q * 12 + a * 6 + c] + dD[3 * q + c]
                            * jacobian[q * 12 + a * 6 + 3 + c]
                    }
                }
            }
            adam.update("pose", param: pose, grad: dPose, lr: settings.lrPose * lrScale)
            pose[1] = min(max(pose[1], Self.elevationRange.lowerBound), Self.elevationRange.upperBound)
        }
        if settings.refinePhotometric && !settings.grayscale {
            adam.update("photometric", param: photometric, grad: dPhotometric, lr: settings.lrPhotometric * lrScale)
        }
        if estimatesLight {
            let L = ViewLight.count, dLight = Tensor([L])
            for q in 0..<Q { for j in 0..<L { dLight[j] += renderStep.dLights[q * L + j] } }
            adam.update("light", param: lightCode, grad: dLight, lr: settings.lrLight * lrScale)
            // Back onto the sphere of directions; key and sky stay grey (one intensity each, in range):
            // the photometric gain already models the photo's colour cast, and a free light colour
            // would take over the object's colour instead.
            let d = SIMD3(lightCode[0], lightCode[1], lightCode[2])
            let norm = max((d * d).sum().squareRoot(), 1e-6)
            for k in 0..<3 { lightCode[k] = d[k] / norm }
            for first in [3, 6] {
                let grey = (lightCode[first] + lightCode[first + 1] + lightCode[first + 2]) / 3
                let clamped = min(max(grey, Self.lightColourRange.lowerBound), Self.lightColourRange.upperBound)
                for k in first..<(first + 3) { lightCode[k] = clamped }
            }
        }
        var degrees = Double(pose[0]) * 180 / .pi
        degrees = degrees.truncatingRemainder(dividingBy: 360)
        if degrees < 0 { degrees += 360 }
        view = ViewCode(
            azimuth: degrees, elevation: Double(pose[1]) * 180 / .pi,
            gain: SIMD3(1 + photometric[0], 1 + photometric[1], 1 + photometric[2]),
            bias: SIMD3(photometric[3], photometric[4], photometric[5]))
        return values[0]
    }
}
