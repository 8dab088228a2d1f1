import Datasets
import NeuralCore

// One differentiable render of a ray batch. B objects (object b owns rays [b Q, (b+1) Q)), Q rays
// per object, R = B Q rays, S samples per ray, N = R S samples, M ≤ N kept samples, D code length,
// E floats of field state per object.

/// rays → samples → field → compositing → loss terms → backward, on buffers allocated once
/// (fresh 100 MB allocations every step cost more in page faults than the step's arithmetic).
/// Decoder training, code fitting, single-view refinement and encoder training all run their
/// steps through it; they differ only in how they draw rays, which codes they render, which loss
/// terms they weigh and where the gradients go.
public final class RenderStep {
    public let field: any RadianceField
    public let B: Int
    public let R: Int
    public let S: Int
    let D: Int
    let batch: FieldBatch  // capacity N
    let t: Tensor  // (R, S)
    let delta: Tensor  // (R, S)
    let points: Tensor  // (N, 3)
    let targets: Tensor  // (R, 3)
    /// The composited colour and opacity of every ray after `run`.
    public let rgb: Tensor  // (R, 3)
    let opacity: Tensor  // (R)
    let weights: Tensor  // (R, S)
    let dRGB: Tensor  // (R, 3)
    let dWeights: Tensor  // (R, S)
    let dSigma: Tensor  // (N)
    let dColor: Tensor  // (N, 3)
    let sigma: Tensor  // (N) density of every sample, 0 where skipped
    let color: Tensor  // (N, 3)
    let keptPoints: Tensor  // (M, 3): the samples the field evaluates
    let dSigmaKept: Tensor  // (M)
    let dColorKept: Tensor  // (M, 3)
    /// d objective / d codes after a `run` with backward: rendering plus code terms.
    public let dCodes: Tensor  // (B, D)
    let dCodeTerms: Tensor  // (B, D)
    /// d objective / d ray origins and directions after a `run` with `rayGradients`.
    let dOrigins: Tensor  // (R, 3)
    let dDirections: Tensor  // (R, 3)
    /// d objective / d each ray's light after a `run` with `lightGradients` (a lit field only).
    public private(set) lazy var dLights = Tensor([R, ViewLight.count])  // (R, 9)
    lazy var dPointsKept = Tensor([R * S, 3])  // (M, 3)
    lazy var dPoints = Tensor([R * S, 3])  // (N, 3)
    let selection = SampleSelection()

    /// Samples the field evaluated in the last run (the rest were skipped as empty).
    public var evaluatedSamples: Int { selection.M }

    /// Bytes of the buffers a step of `objects` x `rays` allocates for a field of `spec`: about 70
    /// floats per sample (ray samples, gradients, the field's query and backward buffers, viewing
    /// conditions) plus each object's state twice.
    public static func plannedBytes(spec: FieldSpec, objects: Int, rays: Int, stateFloats: Int) -> Double {
        let perSample = 70.0 + 2 * Double(ViewingConditions.count)
        return 4 * (Double(rays) * Double(spec.samplesPerRay) * perSample + 2 * Double(objects * stateFloats))
    }

    public init(field: any RadianceField, objects B: Int, rays R: Int) {
        self.field = field
        self.B = B
        self.R = R
        let spec = field.spec
        S = spec.samplesPerRay
        D = spec.codeDim
        let N = R * S
        batch = field.makeBatch(objects: B, capacity: N)
        t = Tensor([R, S])
        delta = Tensor([R, S])
        points = Tensor([N, 3])
        targets = Tensor([R, 3])
        rgb = Tensor([R, 3])
        opacity = Tensor([R])
        weights = Tensor([R, S])
        dRGB = Tensor([R, 3])
        dWeights = Tensor([R, S])
        dSigma = Tensor([N])
        dColor = Tensor([N, 3])
        sigma = Tensor([N])
        color = Tensor([N, 3])
        keptPoints = Tensor([N, 3])
        dSigmaKept = Tensor([N])
        dColorKept = Tensor([N, 3])
        dCodes = Tensor([B, D])
        dCodeTerms = Tensor([B, D])
        dOrigins = Tensor([R, 3])
        dDirections = Tensor([R, 3])
    }

    /// Renders `rays` for codes (B, D), evaluates `losses` and, with `backward`, back-propagates
    /// them: field weight gradients into `grads` (nil: weights frozen), the codes' into `dCodes`
    /// (without `codeGradients` only the code terms'), and with `rayGradients` the rays' into
    /// `dOrigins`/`dDirections`. `grids(state)` gives each object's occupancy grid (nil: sample
    /// everywhere) from the objects' fresh state (B, E).
    /// Returns each term's weighted value, in the order of `losses`.
    @discardableResult
    public func run(
        rays: RayBatch, codes: UnsafePointer<Float>, losses: [any LossTerm], grads: ParameterGradients? = nil,
        backward: Bool = true, rayGradients: Bool = false, lightGradients: Bool = false, codeGradients: Bool = true,
        grids: (UnsafePointer<Float>) -> [OccupancyGrid?]
    ) -> [Float] {
        precondition(rays.R == R && rays.S == S, "ray batch of \(rays.R)x\(rays.S), the step takes \(R)x\(S)")
        Profiler.measure("sample") {
            RaySampling.samples(
                t: t.data, delta: delta.data, points: points.data, origins: rays.origins, directions: rays.directions,
                jitter: rays.jitter, box: Float(field.spec.box), R: R, S: S)
        }
        Profiler.measure("generate") { field.setup(batch: batch, codes: codes) }
        let objectGrids = Profiler.measure("grids") { grids(batch.state.data) }
        Profiler.measure("select") {
            selection.select(points: points.data, grids: objectGrids, probe: rays.probe, R: R, S: S)
            selection.gather(keptPoints.data, from: points.data, width: 3)
            batch.setCounts(selection.counts)
            if let conditions = batch.conditions {
                rays.directions.withUnsafeBufferPointer { d in
                    rays.lights.withUnsafeBufferPointer { l in
                        ViewingConditions.gather(
                            conditions.data, kept: selection.kept, S: S, directions: d.baseAddress!,
                            lights: l.baseAddress!)
                    }
                }
            }
        }
        Profiler.measure("field") { field.query(points: keptPoints.data, batch: batch) }
        Profiler.measure("select") {
            selection.scatter(sigma.data, from: batch.sigma.data, width: 1, N: R * S)
            selection.scatter(color.data, from: batch.rgb.data, width: 3, N: R * S)
        }
        let background = field.spec.backgroundColour
        Profiler.measure("composite") {
            VolumeComposite.forward(
                rgb: rgb.data, depth: nil, opacity: opacity.data, weights: weights.data, sigma: sigma.data,
                color: color.data, delta: delta.data, t: t.data, background: background, R: R, S: S)
        }
        rays.targets.withUnsafeBufferPointer { targets.data.update(from: $0.baseAddress!, count: R * 3) }
        let inputs = LossInputs(
            rgb: rgb.data, targets: targets.data, R: R, codes: codes, B: B, D: D, weights: weights.data, t: t.data,
            delta: delta.data, S: S)
        let values = losses.map { $0.forward(inputs) }
        guard backward else { return values }
        dRGB.zero()
        dCodeTerms.zero()
        dWeights.zero()
        for term in losses {
            term.backward(inputs, LossGradients(dRGB: dRGB.data, dCodes: dCodeTerms.data, dWeights: dWeights.data))
        }
        dSigma.zero()
        dColor.zero()
        Profiler.measure("composite backward") {
            VolumeComposite.backward(
                dSigma: dSigma.data, dColor: dColor.data, dRGB: dRGB.data, dOpacity: nil, dWeights: dWeights.data,
                weights: weights.data,
                sigma: sigma.data, color: color.data, delta: delta.data, background: background, R: R, S: S)
        }
        Profiler.measure("select") {
            selection.gather(dSigmaKept.data, from: dSigma.data, width: 1)
            selection.gather(dColorKept.data, from: dColor.data, width: 3)
        }
        dCodes.zero()
        if rayGradients { dPointsKept.zero() }
        batch.wantsConditionGradients = lightGradients && batch.conditions != nil
        Profiler.measure("decoder backward") {
            field.backward(
                dSigma: dSigmaKept.data, dRGB: dColorKept.data, batch: batch, codes: codes, points: keptPoints.data,
                grads: grads, dCodes: codeGradients ? dCodes.data : nil, dPoints: rayGradients ? dPointsKept.data : nil)
        }
        if lightGradients {
            dLights.zero()
            if let dConditions = batch.dConditions, batch.wantsConditionGradients {
                let V = ViewingConditions.count, L = ViewLight.count
                for (m, n) in selection.kept.enumerated() {
                    let r = Int(n) / S
                    for j in 0..<L { dLights[r * L + j] += dConditions[m * V + 3 + j] }
                }
            }
        }
        // The code terms were summed apart, then added once: rendering + (term 1 + term 2 + ...).
        for k in 0..<(B * D) { dCodes[k] += dCodeTerms[k] }
        if rayGradients {
            selection.scatter(dPoints.data, from: dPointsKept.data, width: 3, N: R * S)
            dOrigins.zero()
            dDirections.zero()
            RaySampling.backward(
                dOrigins: dOrigins.data, dDirections: dDirections.data, dPoints: dPoints.data, t: t.data, R: R, S: S)
        }
        return values
    }
}
