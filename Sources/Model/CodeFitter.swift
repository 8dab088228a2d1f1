import Foundation
import Geometry
import NeuralCore
// Fits an identity code to posed views with the decoder frozen. Q rays per step, S samples, N = Q S.

/// Adam on the code alone against random rays of the given views, with the latent prior.
public final class CodeFitter {
    public let decoder: TriplaneDecoder
    public let code: Tensor                 // (1, D)
    let views: [TrainingData.View]
    let width: Int, height: Int
    public var rng: SplitMix64
    let adam = Adam()
    public var raysPerStep = 2048
    public var lr: Float = 1e-2
    public var prior: Float = 1e-4
    /// Evaluate the decoder only inside the occupancy grid of the current code (plus probe rays).
    public var skipEmptySpace = true
    /// Steps between grid rebuilds: the code moves a little each step, and a rebuild costs about a
    /// third of a step.
    public var gridRefreshSteps = 16
    /// Rays that ignore the grid, so parts the current code lacks can still grow.
    public var probeRayFraction: Float = 0.0625
    /// Samples the decoder evaluated in the last step.
    public var evaluatedSamples: Int { workspace?.selection.M ?? 0 }
    var grid: OccupancyGrid?
    var gridAge = 0
    /// Step buffers, allocated once (fresh multi-megabyte buffers per step cost page faults).
    var workspace: Trainer.Workspace?

    public init(decoder: TriplaneDecoder, start: [Float], views: [TrainingData.View], width: Int, height: Int, seed: UInt64 = 7) {
        self.decoder = decoder
        code = Tensor([1, start.count], values: start)
        self.views = views; self.width = width; self.height = height
        rng = SplitMix64(seed: seed)
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
        let Q = raysPerStep, S = decoder.config.samplesPerRay, N = Q * S, D = decoder.config.codeDim
        var origins = [Float](repeating: 0, count: 3 * Q), dirs = [Float](repeating: 0, count: 3 * Q), target = [Float](repeating: 0, count: 3 * Q)
        for q in 0..<Q {
            TrainingData.drawRay(from: views, width: width, height: height, rng: &rng, slot: q, origins: &origins,
                                 directions: &dirs, targets: &target)
        }
        let jitter = Profiler.measure("inv: rays") { (0..<N).map { _ in rng.nextFloat() } }
        let probe = (0..<Q).map { _ in rng.nextFloat() < probeRayFraction }
        if workspace == nil || workspace!.acts.N != N { workspace = Trainer.Workspace(decoder.config, B: 1, R: Q, S: S) }
        let w = workspace!
        let t = w.t, delta = w.delta, points = w.points
        RaySampling.samples(t: t.data, delta: delta.data, points: points.data, origins: origins, directions: dirs, jitter: jitter,
                            box: Float(decoder.config.box), R: Q, S: S)
        let acts = w.acts
        Profiler.measure("inv: generate") { decoder.generate(planes: acts.planes.data, codes: code.data, B: 1) }
        if skipEmptySpace && (grid == nil || gridAge >= gridRefreshSteps) {
            grid = Profiler.measure("inv: grid") { OccupancyGrid(decoder: decoder, planes: acts.planes.data, resolution: Trainer.gridResolution) }
            gridAge = 0
        }
        gridAge += 1
        w.field(decoder, grids: [grid], probe: probe, R: Q, S: S)
        w.composite(decoder, R: Q, S: S)
        let loss = MSELoss.forward(pred: w.rgb.data, target: target, N: 3 * Q)
        let dCode = w.dCodes
        w.dRGB.zero(); dCode.zero()
        MSELoss.backward(dPred: w.dRGB.data, dLoss: 1, pred: w.rgb.data, target: target, N: 3 * Q)
        w.backward(decoder, codes: code.data, grads: nil, dCodes: dCode.data, dPoints: nil, R: Q, S: S)
        for d in 0..<D { dCode[d] += 2 * prior * code[d] }
        adam.beginStep()
        adam.update("code", param: code, grad: dCode, lr: lr * lrScale)
        return loss
    }
}
