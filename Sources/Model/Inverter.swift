import Foundation
import Geometry
import ImageIO
import NeuralCore
// Refines an identity code and a view code against one photo, decoder frozen. H W photo size,
// Q rays per step, S samples per ray, N = Q S, D code length.

/// Optimisation settings of single-view inversion.
public struct RefineSettings: Codable, Sendable, Equatable {
    public var steps = 300
    public var raysPerStep = 1024
    public var lrCode: Float = 1e-2
    /// Adam step on azimuth/elevation, radians (0.003 rad ≈ 0.17° per step).
    public var lrPose: Float = 3e-3
    public var lrPhotometric: Float = 5e-3
    /// In-domain term: λ ||z - z_start||² / σ² with σ² the code table's per-dimension variance, so
    /// the code stays near the encoder's (or mean) code and inside the region the decoder knows.
    public var anchorWeight: Float = 2e-6
    /// The latent prior of training (λ ||z||²).
    public var prior: Float = 1e-4
    /// Fraction of each step's rays drawn from the object and its outline (the rest uniformly):
    /// the silhouette band is where most of the error sits, the plain background teaches little.
    public var objectRayFraction: Float = 0.5
    /// Evaluate the decoder only inside the current code's occupancy grid (plus probe rays).
    public var skipEmptySpace = true
    public var refinePose = true
    public var refinePhotometric = true
    public var seed: UInt64 = 11
    public init() {}
}

/// Adam on (identity code, azimuth, elevation, gain, bias) against random pixels of one photo.
/// Pose gradients flow from the sample points to the rays (RaySampling.backward) and from the rays
/// to the angles through central differences of the rig camera, which is analytic and cheap.
public final class Inverter {
    public let decoder: TriplaneDecoder
    public let settings: RefineSettings
    public let code: Tensor                  // (1, D)
    public private(set) var view: ViewCode
    let anchor: [Float]                      // (D)
    let codeVariance: Float
    let photo: [Float]                       // (H, W, 3) in [0, 1]
    let width: Int, height: Int
    let distance: Double, fov: Double
    var rng: SplitMix64
    let adam = Adam()
    let pose = Tensor([2])                   // azimuth, elevation in radians
    let photometric = Tensor([6])            // gain - 1 (3), bias (3)
    var grid: OccupancyGrid?
    var gridAge = 0
    /// Steps between occupancy-grid rebuilds from the moving code.
    static let gridRefreshSteps = 16
    /// Half-step of the central differences of rays w.r.t. the angles (radians): well above float
    /// round-off of the ray, well below the curvature of the rig's orbit.
    static let poseEpsilon = 1e-4
    var workspace: Trainer.Workspace?
    var dPointsKept: Tensor?, dPoints: Tensor?
    /// Pixels (j W + i) of the object dilated by `outlineDilation`, found against the border colour.
    let objectPixels: [Int]
    static let outlineDilation = 2

    /// photo (H, W, 3) in [0, 1] on the rig's framing; start codes from the encoder or the mean.
    public init(decoder: TriplaneDecoder, photo: [Float], width: Int, height: Int, startCode: [Float], startView: ViewCode,
                codeVariance: Float, settings: RefineSettings = RefineSettings(), distance: Double = Rig.distance, fov: Double = Rig.fovDegrees) {
        precondition(photo.count == width * height * 3, "photo must be (H, W, 3)")
        self.decoder = decoder; self.settings = settings
        self.photo = photo; self.width = width; self.height = height; self.distance = distance; self.fov = fov
        code = Tensor([1, startCode.count], values: startCode)
        anchor = startCode
        view = startView
        self.codeVariance = max(codeVariance, 1e-8)
        rng = SplitMix64(seed: settings.seed)
        pose[0] = Float(startView.azimuth * .pi / 180); pose[1] = Float(startView.elevation * .pi / 180)
        for c in 0..<3 { photometric[c] = startView.gain[c] - 1; photometric[3 + c] = startView.bias[c] }
        // The object as `invert`'s framing finds it: pixels unlike the border colour.
        let bg = PhotoFraming.borderColour(photo, width: width, height: height)
        var mask = [Bool](repeating: false, count: width * height)
        for j in 0..<height { for i in 0..<width where PhotoFraming.isForeground(photo, j * width + i, background: bg) {
            let r = Self.outlineDilation
            for y in max(0, j - r)...min(height - 1, j + r) { for x in max(0, i - r)...min(width - 1, i + r) { mask[y * width + x] = true } }
        } }
        objectPixels = (0..<(width * height)).filter { mask[$0] }
    }

    func camera(azimuth: Double, elevation: Double) -> Camera {
        Rig.camera(azimuth: azimuth * 180 / .pi, elevation: elevation * 180 / .pi, distance: distance, fovDegrees: fov, width: width, height: height)
    }

    /// Runs all steps (cosine learning-rate fall over the second half); progress(step, photo MSE).
    @discardableResult
    public func run(progress: ((Int, Float) -> Void)? = nil) -> Float {
        var loss: Float = 0
        for s in 0..<settings.steps {
            loss = step(lrScale: LearningRateSchedule.scale(step: s, steps: settings.steps, decayFraction: 0.5, finalScale: 0.1))
            progress?(s + 1, loss)
        }
        return loss
    }

    /// One Adam step; returns the photometric MSE of the batch before the update.
    @discardableResult
    public func step(lrScale: Float = 1) -> Float {
        let Q = settings.raysPerStep, S = decoder.config.samplesPerRay, N = Q * S, D = decoder.config.codeDim
        let az = Double(pose[0]), el = Double(pose[1]), e = Self.poseEpsilon
        let cams = [camera(azimuth: az, elevation: el), camera(azimuth: az + e, elevation: el), camera(azimuth: az - e, elevation: el),
                    camera(azimuth: az, elevation: el + e), camera(azimuth: az, elevation: el - e)]
        var origins = [Float](repeating: 0, count: 3 * Q), dirs = [Float](repeating: 0, count: 3 * Q), target = [Float](repeating: 0, count: 3 * Q)
        // d(origin, direction)/d(azimuth, elevation) per ray: (Q, 2, 6).
        var rayJacobian = [Float](repeating: 0, count: Q * 12)
        for q in 0..<Q {
            var i = rng.nextInt(width), j = rng.nextInt(height)
            if !objectPixels.isEmpty && rng.nextFloat() < settings.objectRayFraction {
                let k = objectPixels[rng.nextInt(objectPixels.count)]
                i = k % width; j = k / width
            }
            let x = Double(i) + 0.5, y = Double(j) + 0.5
            let r0 = cams[0].ray(x: x, y: y)
            for c in 0..<3 {
                origins[3 * q + c] = Float(r0.origin[c]); dirs[3 * q + c] = Float(r0.direction[c])
                target[3 * q + c] = photo[(j * width + i) * 3 + c]
            }
            for a in 0..<2 {
                let p = cams[1 + 2 * a].ray(x: x, y: y), m = cams[2 + 2 * a].ray(x: x, y: y)
                for c in 0..<3 {
                    rayJacobian[q * 12 + a * 6 + c] = Float((p.origin[c] - m.origin[c]) / (2 * e))
                    rayJacobian[q * 12 + a * 6 + 3 + c] = Float((p.direction[c] - m.direction[c]) / (2 * e))
                }
            }
        }
        let jitter = (0..<N).map { _ in rng.nextFloat() }
        let probe = (0..<Q).map { _ in rng.nextFloat() < 0.0625 }
        if workspace == nil || workspace!.acts.capacity != N {
            workspace = Trainer.Workspace(decoder.config, B: 1, R: Q, S: S)
            dPointsKept = Tensor([N, 3]); dPoints = Tensor([N, 3])
        }
        let w = workspace!, dPointsKept = self.dPointsKept!, dPoints = self.dPoints!
        RaySampling.samples(t: w.t.data, delta: w.delta.data, points: w.points.data, origins: origins, directions: dirs, jitter: jitter,
                            box: Float(decoder.config.box), R: Q, S: S)
        decoder.generate(planes: w.acts.planes.data, codes: code.data, B: 1)
        if settings.skipEmptySpace && (grid == nil || gridAge >= Self.gridRefreshSteps) {
            grid = OccupancyGrid(decoder: decoder, planes: w.acts.planes.data, resolution: Trainer.gridResolution)
            gridAge = 0
        }
        gridAge += 1
        w.field(decoder, grids: [grid], probe: probe, R: Q, S: S)
        w.composite(decoder, R: Q, S: S)
        // Photometric part of the view code: pred = gain ⊙ render + bias.
        let pred = Tensor([Q, 3])
        for q in 0..<Q { for c in 0..<3 { pred[3 * q + c] = (1 + photometric[c]) * w.rgb[3 * q + c] + photometric[3 + c] } }
        let loss = MSELoss.forward(pred: pred.data, target: target, N: 3 * Q)
        let dPred = Tensor([Q, 3]), dPhotometric = Tensor([6])
        MSELoss.backward(dPred: dPred.data, dLoss: 1, pred: pred.data, target: target, N: 3 * Q)
        w.dRGB.zero(); w.dCodes.zero(); dPointsKept.zero()
        for q in 0..<Q { for c in 0..<3 {
            let g = dPred[3 * q + c]
            dPhotometric[c] += g * w.rgb[3 * q + c]
            dPhotometric[3 + c] += g
            w.dRGB[3 * q + c] = (1 + photometric[c]) * g
        } }
        w.backward(decoder, codes: code.data, grads: nil, dCodes: w.dCodes.data, dPoints: settings.refinePose ? dPointsKept.data : nil,
                   R: Q, S: S)
        let dCode = w.dCodes
        for d in 0..<D {
            dCode[d] += 2 * settings.anchorWeight * (code[d] - anchor[d]) / codeVariance + 2 * settings.prior * code[d]
        }
        adam.beginStep()
        adam.update("code", param: code, grad: dCode, lr: settings.lrCode * lrScale)
        if settings.refinePose {
            w.selection.scatter(dPoints.data, from: dPointsKept.data, width: 3, N: N)
            let dO = Tensor([Q, 3]), dD = Tensor([Q, 3])
            RaySampling.backward(dOrigins: dO.data, dDirections: dD.data, dPoints: dPoints.data, t: w.t.data, R: Q, S: S)
            let dPose = Tensor([2])
            for q in 0..<Q { for a in 0..<2 { for c in 0..<3 {
                dPose[a] += dO[3 * q + c] * rayJacobian[q * 12 + a * 6 + c] + dD[3 * q + c] * rayJacobian[q * 12 + a * 6 + 3 + c]
            } } }
            adam.update("pose", param: pose, grad: dPose, lr: settings.lrPose * lrScale)
            // Keep the camera on the rig's hemisphere band, where the decoder has seen views.
            pose[1] = min(max(pose[1], Float(-10 * Double.pi / 180)), Float(80 * Double.pi / 180))
        }
        if settings.refinePhotometric { adam.update("photometric", param: photometric, grad: dPhotometric, lr: settings.lrPhotometric * lrScale) }
        var degrees = Double(pose[0]) * 180 / .pi
        degrees = degrees.truncatingRemainder(dividingBy: 360); if degrees < 0 { degrees += 360 }
        view = ViewCode(azimuth: degrees, elevation: Double(pose[1]) * 180 / .pi,
                        gain: SIMD3(1 + photometric[0], 1 + photometric[1], 1 + photometric[2]),
                        bias: SIMD3(photometric[3], photometric[4], photometric[5]))
        return loss
    }
}
