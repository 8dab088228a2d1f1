import Foundation
import NeuralCore

// The layered phase of inversion: after the code, residuals in the generator's own layers.
// K photos; the held-out pixels are a fraction of each photo's object pixels.

/// What a layered phase did.
public struct LayerReport: Sendable {
    public var layers: [String]
    /// Steps run (the early stop usually ends sooner than the settings' steps).
    public var steps: Int
    /// PSNR (dB) of the held-out photo pixels when the phase began and with the state kept.
    public var validationPSNRBefore: Double
    public var validationPSNRAfter: Double
    /// Whether the residuals were kept (the held-out gain reached `LayerSettings.minimumGain`);
    /// if not, the code-only result stands and `residuals` is empty.
    public var accepted: Bool
    /// RMS of each kept residual relative to its layer's activations.
    public var relativeSizes: [Float]
    public var seconds: Double
    /// The residuals kept, as the generator adds them (none when not `accepted`).
    public var residuals: [LayerResidual]

    /// The held-out PSNRs (dB) before and after, or nil for a residual that no phase optimised (the
    /// iterative encoder's prediction, `invert --fast`: no steps, no held-out pixels).
    public var heldOutPSNR: (before: Double, after: Double)? {
        steps > 0 ? (validationPSNRBefore, validationPSNRAfter) : nil
    }
}

extension Inverter {
    /// Holds out `fraction` of each photo's object pixels (seeded by the inverter's generator) from
    /// every batch until `releaseHeldOut`; returns them per photo.
    func holdOut(fraction: Float) -> [[Int]] {
        (0..<photoCount).map { k in
            var candidates = observations[k].objectPixels
            if candidates.isEmpty { candidates = observations[k].visiblePixels ?? Array(0..<(width * height)) }
            for i in stride(from: candidates.count - 1, to: 0, by: -1) { candidates.swapAt(i, rng.nextInt(i + 1)) }
            let chosen = Array(candidates.prefix(max(1, Int(Float(candidates.count) * fraction))))
            var held = [Bool](repeating: false, count: width * height)
            for p in chosen { held[p] = true }
            observations[k].heldOut = held
            return chosen
        }
    }

    func releaseHeldOut() { for k in 0..<photoCount { observations[k].heldOut = nil } }

    /// Continues the inversion in the field's layers (`settings.layers`): residuals on the named
    /// layers, with the code, poses, photometric codes and lights still moving at a fraction of
    /// their rates, until the held-out pixels stop improving; keeps the best state seen on them.
    /// The inverter's field must be a `LayeredField`. progress(step, MSE).
    public func refineLayers(progress: ((Int, Float) -> Void)? = nil) throws -> LayerReport {
        guard let layered = field as? LayeredField else {
            throw ModelError("a layered inversion needs a field with latent layers (this \(field.spec.kind) has none)")
        }
        let s = settings.layers
        let t0 = Date()
        let residuals = try Profiler.measure("layers: setup") {
            try LayerResiduals(field: layered, names: s.names, code: code.array, settings: s)
        }
        layerResiduals = residuals
        layered.reusesBasePlanes = !s.refineCode
        defer { layered.reusesBasePlanes = false }
        if s.viewPriorWeight > 0 {
            viewPrior = ViewPrior(
                field: layered, code: code.array, light: light, photoAzimuths: views.map(\.azimuth), settings: s,
                distance: distance, fov: fov, side: min(width, height))
        }
        defer { viewPrior = nil }
        let validation = holdOut(fraction: s.validationFraction)
        defer { releaseHeldOut() }
        // The same held-out pixels (and sample jitter) at every look, at the current poses.
        let validationSeed = rng.next()
        let dPhotometric = Tensor([photoCount, 6])
        let pixelTerm = terms(dPhotometric: dPhotometric)[0]
        func validationMSE() -> Float { Profiler.measure("layers: held-out pixels") { heldOutMSE() } }
        func heldOutMSE() -> Float {
            residuals.apply()
            let saved = rng
            rng = SplitMix64(seed: validationSeed)
            let rays = drawRays(from: validation).rays
            rng = saved
            return renderStep.run(rays: rays, codes: code.data, losses: [pixelTerm], backward: false) { _ in [nil] }[0]
        }
        func snapshot() -> [[Float]] {
            [code.array, poses.array, photometric.array, lightCodes.array] + residuals.snapshot()
        }
        func restore(_ v: [[Float]]) {
            for (t, values) in zip([code, poses, photometric, lightCodes], v) {
                for j in 0..<t.count { t[j] = values[j] }
            }
            residuals.restore(Array(v.dropFirst(4)))
            syncViews()
        }
        var best = validationMSE()
        let before = best
        let initial = snapshot()
        // A predicted start stays in the result when the phase adds nothing: the code was refined with it.
        let predicted = residuals.startedFromPrediction
        var kept = initial
        var stale = 0, done = 0
        for step in 0..<s.steps {
            let mse = self.step(
                lrScale: LearningRateSchedule.scale(step: step, steps: s.steps, decayFraction: 0.5, finalScale: 0.1))
            done = step + 1
            progress?(done, mse)
            if done % s.checkEvery == 0 || done == s.steps {
                let held = validationMSE()
                if held < best * (1 - Self.validationProgress) {
                    best = held
                    kept = Profiler.measure("layers: snapshot") { snapshot() }
                    stale = 0
                } else {
                    stale += 1
                    if stale >= s.patience { break }
                }
            }
        }
        func psnr(_ mse: Float) -> Double { -10 * log10(Double(max(mse, 1e-10))) }
        // No gain on the held-out pixels, or one under `minimumGain`, is the code explaining the
        // photo already: the residuals would only learn this view's particulars.
        let accepted = best < before && psnr(best) - psnr(before) >= Double(s.minimumGain)
        restore(accepted ? kept : initial)
        return LayerReport(
            layers: residuals.names, steps: done, validationPSNRBefore: psnr(before), validationPSNRAfter: psnr(best),
            accepted: accepted, relativeSizes: residuals.relativeSizes, seconds: Date().timeIntervalSince(t0),
            residuals: accepted || predicted ? residuals.result : [])
    }
}

extension Inversion {
    /// The layered phase on posed photos of one object (a multi-view fit's code, its true cameras
    /// and lights, which stay fixed): how far the layers take a fit that sees every side. Returns
    /// the code (it moves a little with the residuals) and the phase's report.
    public static func fitLayers(
        field: any RadianceField, code: [Float], photos: [InversionPhoto], codeVariance: Float,
        settings given: RefineSettings, distance: Double, fov: Double
    ) throws -> (code: [Float], report: LayerReport) {
        guard let generator = field as? any LayeredGenerator else {
            throw ModelError("a \(field.spec.kind) field has no latent layers")
        }
        var s = given
        s.refinePose = false
        s.refinePhotometric = false
        s.refineLight = false
        s.sharedLight = false
        let inverter = Inverter(
            field: LayeredField(base: generator), photos: photos, startCode: code, codeVariance: codeVariance,
            settings: s, distance: distance, fov: fov)
        let report = try inverter.refineLayers()
        return (inverter.code.array, report)
    }
}
