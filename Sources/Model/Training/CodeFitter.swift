import Foundation
import Geometry
import NeuralCore

// Fits an identity code to posed views with the field frozen. Q rays per step, D code length.

/// Adam on the code alone against random rays of one object's views, with the latent prior.
public final class CodeFitter {
    public let field: any RadianceField
    public let code: Tensor  // (1, D)
    let data: TrainingData
    let object: Int
    public var rng: SplitMix64
    let adam = Adam()
    /// Steps of a multi-view fit (`fit`, eval's fit mode): the code has settled by then.
    public static let defaultSteps = 300
    public static let defaultRaysPerStep = 2048
    public var raysPerStep = CodeFitter.defaultRaysPerStep
    public var lr: Float = 1e-2
    public var prior: Float = 1e-4
    public var skipping = EmptySpaceSkipping.codeFitting
    /// Samples the field evaluated in the last step.
    public var evaluatedSamples: Int { renderStep?.evaluatedSamples ?? 0 }
    var occupancy: OccupancyCache?
    var steps = 0
    var renderStep: RenderStep?

    /// Fits object `object` of `data`, starting from `start` (D).
    public init(field: any RadianceField, start: [Float], data: TrainingData, object: Int = 0, seed: UInt64 = 7) {
        self.field = field
        code = Tensor([1, start.count], values: start)
        self.data = data
        self.object = object
        rng = SplitMix64(seed: seed)
    }

    /// Fits the given views of one object.
    public convenience init(
        field: any RadianceField, start: [Float], views: [TrainingData.View], width: Int, height: Int, seed: UInt64 = 7
    ) {
        self.init(
            field: field, start: start,
            data: TrainingData(ids: ["object"], objects: [views], width: width, height: height), seed: seed)
    }

    /// `steps` Adam steps with the learning rate falling (cosine, to 10%) over the second half,
    /// where the last steps settle the code; `progress(step, batchMSE)` after each. Returns the last MSE.
    @discardableResult
    public func fit(steps: Int, progress: ((Int, Float) -> Void)? = nil) -> Float {
        var loss: Float = 0
        for s in 0..<steps {
            loss = step(lrScale: LearningRateSchedule.scale(step: s, steps: steps, decayFraction: 0.5, finalScale: 0.1))
            progress?(s + 1, loss)
        }
        return loss
    }

    /// One step; returns the batch MSE.
    @discardableResult
    public func step(lrScale: Float = 1) -> Float {
        let Q = raysPerStep
        var rays = RayBatch(rays: Q, samples: field.spec.samplesPerRay)
        for q in 0..<Q { data.drawRay(object: object, rng: &rng, slot: q, into: &rays) }
        Profiler.measure("inv: rays") { rays.drawSampling(rng: &rng, probeFraction: skipping.probeRayFraction) }
        if renderStep == nil || renderStep!.R != Q { renderStep = RenderStep(field: field, objects: 1, rays: Q) }
        if occupancy == nil { occupancy = OccupancyCache(objects: 1, settings: skipping) }
        let cache = occupancy!, step = steps
        let values = renderStep!.run(
            rays: rays, codes: code.data, losses: [PhotometricMSE(), CodePrior(weight: prior)]
        ) { states in
            cache.grids(for: [0], step: step, field: field, states: states)
        }
        steps += 1
        adam.beginStep()
        adam.update("code", param: code, grad: renderStep!.dCodes, lr: lr * lrScale)
        return values[0]
    }
}
