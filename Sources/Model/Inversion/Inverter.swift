import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// Refines one identity code, and a view code and light per photo, against K photos of one object,
// field frozen. H W photo size (shared by the photos), K photos, Q rays per photo per step,
// R = K Q rays per step, D code length.

/// Adam on (identity code; per photo azimuth, elevation, gain, bias, light) against random pixels
/// of the photos. Pose gradients flow from the sample points to the rays (RaySampling.backward)
/// and from the rays to the angles through central differences of the rig camera, which is
/// analytic and cheap.
public final class Inverter {
    public let field: any RadianceField
    public let settings: RefineSettings
    public let code: Tensor  // (1, D)
    /// Each photo's view code as found so far.
    public private(set) var views: [ViewCode]
    /// The first photo's view code.
    public var view: ViewCode { views[0] }
    let anchor: [Float]  // (D)
    let codeVariance: Float
    /// A photo's pixels and the pixels rays are drawn from.
    struct Observation {
        var pixels: [Float]  // (H, W, 3)
        /// Pixels (j W + i) of the object dilated by `outlineDilation`, found against the border colour.
        var objectPixels: [Int]
        /// Pixels rays may be drawn from when a mask hides the rest (nil: all of them).
        var visiblePixels: [Int]?
        /// Pixels kept out of every batch (decoder tuning's validation pixels), or nil.
        var heldOut: [Bool]?  // (H, W)
    }
    var observations: [Observation]
    var photoCount: Int { observations.count }
    let width: Int, height: Int
    let distance: Double, fov: Double
    var rng: SplitMix64
    let adam = Adam()
    let poses: Tensor  // (K, 2) azimuth, elevation in radians
    let photometric: Tensor  // (K, 6) gain - 1 (3), bias (3)
    /// Each photo's light as the field takes it (`ViewLight.packed`), when the field is lit.
    let lightCodes: Tensor  // (K, 9)
    /// The first photo's light found so far (canonical for fields that ignore light).
    public var light: ViewLight { lights[0] }
    public var lights: [ViewLight] { Self.unpack(lights: lightCodes) }
    /// The lights of a (K, L) tensor of packed lights.
    static func unpack(lights t: Tensor) -> [ViewLight] {
        let packed = t.array, L = ViewLight.count
        return (0..<(packed.count / L)).map { k in ViewLight(packed: Array(packed[(k * L)..<((k + 1) * L)])) }
    }
    var estimatesLight: Bool { settings.refineLight && field.conditionSize > 0 }
    /// Each photo's light when refinement started (the light prior's anchor).
    let startLights: [ViewLight]
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
    /// Rays per photo per step (Q): the step's rays split evenly, in whole footprints.
    let raysPerPhoto: Int
    /// Rays per photo pixel (a power of two dividing the rays per step; 1 but for small photos).
    let footprint: Int
    static let outlineDilation = 2
    /// The semantic term's feature extractor (nil: pixels only).
    public var features: ConvFeatures?
    /// The layered phase's residuals while it runs or after it (nil: the code only).
    var layerResiduals: LayerResiduals?
    /// The layered phase's pseudo-views (nil: off, or no phase).
    var viewPrior: ViewPrior?
    /// Whether this step draws patches for the semantic term: the term is on, photos are not
    /// smaller than the model's views (footprints), and a patch fits the photo and the rays.
    func drawsPatches(atStep s: Int) -> Bool {
        let P = settings.semanticPatch
        // (A grayscale photo's features would differ from a colour render's by the colour alone.)
        return features != nil && settings.semanticWeight > 0 && !settings.grayscale && footprint == 1
            && P <= min(width, height)
            && P * P <= raysPerPhoto && s % max(1, settings.semanticEvery) == 0
    }

    /// One photo (H, W, 3) in [0, 1] on the rig's framing; start codes from the encoder or the mean.
    public convenience init(
        field: any RadianceField, photo: [Float], width: Int, height: Int, startCode: [Float], startView: ViewCode,
        codeVariance: Float, settings: RefineSettings? = nil, distance: Double = Rig.distance,
        fov: Double = Rig.fovDegrees, startLight: ViewLight = .canonical, ignore: [Bool]? = nil
    ) {
        self.init(
            field: field,
            photos: [
                InversionPhoto(
                    pixels: photo, width: width, height: height, startView: startView, startLight: startLight,
                    ignore: ignore)
            ], startCode: startCode, codeVariance: codeVariance, settings: settings, distance: distance, fov: fov)
    }

    /// K photos of one object, all of one size, sharing the identity code. `settings`: nil, the
    /// field kind's defaults.
    public init(
        field: any RadianceField, photos: [InversionPhoto], startCode: [Float], codeVariance: Float,
        settings given: RefineSettings? = nil, distance: Double = Rig.distance, fov: Double = Rig.fovDegrees
    ) {
        let settings = given ?? field.spec.config.refineDefaults
        precondition(!photos.isEmpty, "at least one photo")
        precondition(
            photos.allSatisfy { $0.width == photos[0].width && $0.height == photos[0].height },
            "the photos of one inversion share one size")
        let K = photos.count
        self.field = field
        self.settings = settings
        width = photos[0].width
        height = photos[0].height
        self.distance = distance
        self.fov = fov
        code = Tensor([1, startCode.count], values: startCode)
        anchor = startCode
        views = photos.map(\.startView)
        self.codeVariance = codeVariance
        rng = SplitMix64(seed: settings.seed)
        poses = Tensor([K, 2])
        photometric = Tensor([K, 6])
        lightCodes = Tensor([K, ViewLight.count])
        for (k, p) in photos.enumerated() {
            poses[2 * k] = Float(p.startView.azimuth * .pi / 180)
            poses[2 * k + 1] = Float(p.startView.elevation * .pi / 180)
            for c in 0..<3 {
                photometric[6 * k + c] = p.startView.gain[c] - 1
                photometric[6 * k + 3 + c] = p.startView.bias[c]
            }
            for (j, v) in p.startLight.packed.enumerated() { lightCodes[k * ViewLight.count + j] = v }
        }
        if settings.sharedLight && K > 1 {
            // One light for all: start from the photos' mean (their rows then take equal steps).
            let L = ViewLight.count
            for j in 0..<L {
                var mean: Float = 0
                for k in 0..<K { mean += lightCodes[k * L + j] / Float(K) }
                for k in 0..<K { lightCodes[k * L + j] = mean }
            }
        }
        startLights = Self.unpack(lights: lightCodes)
        // Rays per photo pixel: a power of two up to settings.footprint dividing the rays per photo.
        let perPhoto = max(1, settings.raysPerStep / K)
        var f = 1
        while f * 2 <= settings.footprint && f * 2 <= perPhoto { f *= 2 }
        footprint = f
        raysPerPhoto = max(f, perPhoto / f * f)
        occupancy = OccupancyCache(objects: 1, settings: settings.skipping)
        renderStep = RenderStep(field: field, objects: 1, rays: raysPerPhoto * K)
        let (W, H) = (width, height)
        observations = photos.map { p in
            // The object as `invert`'s framing finds it: pixels unlike the border colour.
            let bg = PhotoFraming.borderColour(p.pixels, width: W, height: H)
            var mask = [Bool](repeating: false, count: W * H)
            for j in 0..<H {
                for i in 0..<W where PhotoFraming.isForeground(p.pixels, j * W + i, background: bg) {
                    let r = Self.outlineDilation
                    for y in max(0, j - r)...min(H - 1, j + r) {
                        for x in max(0, i - r)...min(W - 1, i + r) { mask[y * W + x] = true }
                    }
                }
            }
            // Pixels a mask hides never become rays: occluders, scratches and text do not pull the code.
            let hidden = p.ignore ?? []
            return Observation(
                pixels: p.pixels,
                objectPixels: (0..<(W * H)).filter { mask[$0] && !(hidden.isEmpty ? false : hidden[$0]) },
                visiblePixels: hidden.contains(true) ? (0..<(W * H)).filter { !hidden[$0] } : nil)
        }
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

    /// Q rays per photo at random pixels (half of them on the object and its outline) of its camera
    /// at the current pose, photo k's at [k Q, (k+1) Q), and d(origin, direction)/d(azimuth,
    /// elevation) per ray (R, 2, 6).
    /// `chosen`: draw each photo's pixels from its list instead (decoder tuning's validation pixels).
    /// `patches`: the first P² rays of each photo form a P x P patch around an object pixel.
    func drawRays(from chosen: [[Int]]? = nil, patches: Bool = false) -> (rays: RayBatch, jacobian: [Float]) {
        let Q = raysPerPhoto, K = photoCount, e = Self.poseEpsilon
        var rays = RayBatch(rays: Q * K, samples: field.spec.samplesPerRay)
        var jacobian = [Float](repeating: 0, count: Q * K * 12)
        // With a footprint F > 1 (a photo smaller than the model's views), each photo pixel gets F
        // rays at random points inside it, whose mean colour the loss compares with the pixel.
        let F = footprint
        for (k, o) in observations.enumerated() {
            let az = Double(poses[2 * k]), el = Double(poses[2 * k + 1])
            let cams = [
                camera(azimuth: az, elevation: el), camera(azimuth: az + e, elevation: el),
                camera(azimuth: az - e, elevation: el),
                camera(azimuth: az, elevation: el + e), camera(azimuth: az, elevation: el - e),
            ]
            var i = 0, j = 0
            func addRay(_ q: Int) {
                let x = Double(i) + (F == 1 ? 0.5 : Double(rng.nextFloat()))
                let y = Double(j) + (F == 1 ? 0.5 : Double(rng.nextFloat()))
                let r0 = cams[0].ray(x: x, y: y)
                for c in 0..<3 {
                    rays.origins[3 * q + c] = Float(r0.origin[c])
                    rays.directions[3 * q + c] = Float(r0.direction[c])
                    rays.targets[3 * q + c] = o.pixels[(j * width + i) * 3 + c]
                }
                for a in 0..<2 {
                    let p = cams[1 + 2 * a].ray(x: x, y: y), m = cams[2 + 2 * a].ray(x: x, y: y)
                    for c in 0..<3 {
                        jacobian[q * 12 + a * 6 + c] = Float((p.origin[c] - m.origin[c]) / (2 * e))
                        jacobian[q * 12 + a * 6 + 3 + c] = Float((p.direction[c] - m.direction[c]) / (2 * e))
                    }
                }
            }
            func drawPixel() {
                if let list = chosen?[k] {
                    let p = list[rng.nextInt(list.count)]
                    i = p % width
                    j = p / width
                    return
                }
                if let visible = o.visiblePixels {
                    let p = visible[rng.nextInt(visible.count)]
                    i = p % width
                    j = p / width
                } else {
                    i = rng.nextInt(width)
                    j = rng.nextInt(height)
                }
                if !o.objectPixels.isEmpty && rng.nextFloat() < settings.objectRayFraction {
                    let p = o.objectPixels[rng.nextInt(o.objectPixels.count)]
                    i = p % width
                    j = p / width
                }
            }
            var patchRays = 0
            if patches {
                let P = settings.semanticPatch
                var centre = rng.nextInt(width * height)
                if !o.objectPixels.isEmpty { centre = o.objectPixels[rng.nextInt(o.objectPixels.count)] }
                let x0 = min(max(0, centre % width - P / 2), width - P)
                let y0 = min(max(0, centre / width - P / 2), height - P)
                for p in 0..<(P * P) {
                    i = x0 + p % P
                    j = y0 + p / P
                    addRay(k * Q + p)
                }
                patchRays = P * P
            }
            for q in stride(from: k * Q + patchRays, to: (k + 1) * Q, by: F) {
                drawPixel()
                // Held-out pixels are drawn again (they are a small fraction: a few tries suffice).
                if let held = o.heldOut, chosen == nil {
                    var tries = 0
                    while held[j * width + i] && tries < Self.heldOutRedraws {
                        drawPixel()
                        tries += 1
                    }
                }
                for q in q..<(q + F) { addRay(q) }
            }
        }
        rays.drawSampling(rng: &rng, probeFraction: settings.skipping.probeRayFraction)
        let current = lights
        for q in 0..<(Q * K) { rays.setLight(current[q / Q], ray: q) }
        return (rays, jacobian)
    }
    /// Redraws of a pixel that falls on a held-out one (a 10% hold-out leaves 1e-8 of them in).
    static let heldOutRedraws = 8

    /// The step's loss terms on the photos: pixels (photometric or luminance) and the code terms.
    func terms(dPhotometric: Tensor) -> [any LossTerm] {
        let pixels: any LossTerm =
            settings.grayscale
            ? LuminanceMSE() : PhotometricMSE(correction: photometric, dCorrection: dPhotometric, footprint: footprint)
        return [
            pixels,
            CodeAnchor(weight: settings.anchorWeight, anchor: anchor, variance: codeVariance),
            CodePrior(weight: settings.prior),
        ]
    }

    /// One Adam step; returns the photometric MSE of the batch before the update.
    @discardableResult
    public func step(lrScale: Float = 1) -> Float {
        let K = photoCount
        let patches = drawsPatches(atStep: steps)
        let (rays, jacobian) = Profiler.measure("rays") { drawRays(patches: patches) }
        if let layers = layerResiduals { Profiler.measure("layers: residuals") { layers.apply() } }
        // Photometric part of the view codes: pred = gain ⊙ render + bias, per photo.
        let dPhotometric = Tensor([K, 6])
        let cache = occupancy, step = steps, field = field
        var losses = terms(dPhotometric: dPhotometric)
        if patches, let features {
            losses.append(
                FeatureLoss(
                    weight: settings.semanticWeight, features: features, side: settings.semanticPatch, groups: K,
                    correction: settings.grayscale ? nil : photometric))
        }
        let values = renderStep.run(
            rays: rays, codes: code.data, losses: losses, rayGradients: settings.refinePose,
            lightGradients: estimatesLight, codeGradients: movesCode
        ) { states in
            cache.grids(for: [0], step: step, field: field, states: states)
        }
        if let viewPrior { Profiler.measure("view prior") { _ = viewPrior.run(code: code.data, rng: &rng) } }
        steps += 1
        Profiler.measure("optimiser") { update(jacobian: jacobian, dPhotometric: dPhotometric, lrScale: lrScale) }
        return values[0]
    }

    /// Whether this step moves the code: always but in a layered phase that holds it.
    var movesCode: Bool { layerResiduals == nil || settings.layers.refineCode }

    /// One Adam step of every refined parameter from the render step's gradients, then the
    /// parameters back in their ranges and the view codes they describe.
    private func update(jacobian: [Float], dPhotometric: Tensor, lrScale: Float) {
        let Q = raysPerPhoto, K = photoCount
        adam.beginStep()
        if let layers = layerResiduals {
            let gradients = Profiler.measure("layers: gradients") { layers.gradients() }
            for (k, dTheta) in gradients.enumerated() {
                adam.update(
                    "layer \(layers.names[k])", param: layers.theta[k], grad: dTheta, lr: settings.layers.lr * lrScale)
            }
        }
        // During the layered phase the code, pose, photometric code and light follow more gently.
        let lrScale = layerResiduals == nil ? lrScale : lrScale * settings.layers.otherRateScale
        if movesCode { adam.update("code", param: code, grad: renderStep.dCodes, lr: settings.lrCode * lrScale) }
        if settings.refinePose {
            let dO = renderStep.dOrigins, dD = renderStep.dDirections
            let dPose = Tensor([K, 2])
            for q in 0..<(Q * K) {
                let k = q / Q
                for a in 0..<2 {
                    for c in 0..<3 {
                        dPose[2 * k + a] +=
                            dO[3 * q + c] * jacobian[q * 12 + a * 6 + c] + dD[3 * q + c]
                            * jacobian[q * 12 + a * 6 + 3 + c]
                    }
                }
            }
            adam.update("pose", param: poses, grad: dPose, lr: settings.lrPose * lrScale)
            for k in 0..<K {
                poses[2 * k + 1] = min(
                    max(poses[2 * k + 1], Self.elevationRange.lowerBound), Self.elevationRange.upperBound)
            }
        }
        if settings.refinePhotometric && !settings.grayscale {
            adam.update("photometric", param: photometric, grad: dPhotometric, lr: settings.lrPhotometric * lrScale)
        }
        if estimatesLight {
            let L = ViewLight.count, dLight = Tensor([K, L])
            for q in 0..<(Q * K) {
                let row = settings.sharedLight ? 0 : q / Q
                for j in 0..<L { dLight[row * L + j] += renderStep.dLights[q * L + j] }
            }
            // A shared light: every row takes the summed gradient, so the rows stay equal.
            if settings.sharedLight { for k in 1..<K { for j in 0..<L { dLight[k * L + j] = dLight[j] } } }
            // Shared rows are equal, so each row's own prior gradient keeps them equal.
            settings.lightPrior.backward(dLights: dLight.data, lights: lightCodes.data, starts: startLights)
            adam.update("light", param: lightCodes, grad: dLight, lr: settings.lrLight * lrScale)
            // Back onto the sphere of directions; key and sky stay grey (one intensity each, in range):
            // the photometric gain already models the photo's colour cast, and a free light colour
            // would take over the object's colour instead.
            for k in 0..<K {
                let o = k * L
                let d = SIMD3(lightCodes[o], lightCodes[o + 1], lightCodes[o + 2])
                let norm = max((d * d).sum().squareRoot(), 1e-6)
                for i in 0..<3 { lightCodes[o + i] = d[i] / norm }
                for first in [o + 3, o + 6] {
                    let grey = (lightCodes[first] + lightCodes[first + 1] + lightCodes[first + 2]) / 3
                    let clamped = min(max(grey, Self.lightColourRange.lowerBound), Self.lightColourRange.upperBound)
                    for i in first..<(first + 3) { lightCodes[i] = clamped }
                }
            }
        }
        syncViews()
    }

    /// `views` from the pose and photometric parameters.
    func syncViews() {
        views = (0..<photoCount).map { k in
            var degrees = Double(poses[2 * k]) * 180 / .pi
            degrees = degrees.truncatingRemainder(dividingBy: 360)
            if degrees < 0 { degrees += 360 }
            let p = 6 * k
            return ViewCode(
                azimuth: degrees, elevation: Double(poses[2 * k + 1]) * 180 / .pi,
                gain: SIMD3(1 + photometric[p], 1 + photometric[p + 1], 1 + photometric[p + 2]),
                bias: SIMD3(photometric[p + 3], photometric[p + 4], photometric[p + 5]))
        }
    }
}
