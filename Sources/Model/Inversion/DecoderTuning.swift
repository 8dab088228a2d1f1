import Datasets
import FileIO
import Foundation
import Geometry
import NeuralCore

// Generator tuning after the code inversion (pivotal tuning): the code found is the pivot; a
// subset of the decoder's weights is fine-tuned on the photos, with a locality term keeping the
// decoder unchanged on codes around the pivot, and an early stop on held-out photo pixels.
// K photos, Q rays per photo per step, L locality rays per step, O training codes, D code length.

/// Settings of `invert --tune-decoder`.
public struct TuneSettings: Settings, Sendable, Equatable {
    /// Tuning steps at most (the early stop usually ends sooner).
    /// (70: about 8 s with its overhead at 128x128 on two cores, inside the 10 s a photo may spend.)
    public var steps = 70
    public var lr: Float = 2e-3
    /// Weight of the locality term: mean squared colour difference between the tuned and the
    /// original decoder's renders of codes near the pivot (PTI's locality regulariser).
    public var localityWeight: Float = 1
    /// Rays per step of the locality term, from random rig cameras.
    var localityRays = 256
    /// Codes of the locality term: pivot + ρ (a random training code - pivot), ρ uniform in this range.
    var localityReachMin: Float = 0.2
    var localityReachMax: Float = 1
    /// Fraction of each photo's object pixels held out of the batches; tuning stops when their
    /// error no longer falls, and keeps the weights that did best on them.
    var validationFraction: Float = 0.1
    /// Steps between two looks at the held-out pixels, and looks without progress before stopping.
    var checkEvery = 15
    var patience = 2
    /// Names (or prefixes) of the decoder weights to tune; nil: the field's choice
    /// (`RadianceField.tunedParameterPrefixes`).
    public var parameters: [String]? = nil
    public init() {}

    public static let keys: [SettingKey<TuneSettings>] = [
        .init("steps", \.steps, in: 1...100_000, flag: "--tune-steps"),
        .init("lr", \.lr, flag: "--tune-lr") { $0.isFinite && $0 > 0 && $0 < 1 ? nil : "must be in (0, 1)" },
        .init("localityWeight", \.localityWeight, flag: "--locality-weight", rule: SettingRule.nonNegative),
        .init("localityRays", \.localityRays, in: 1...65536),
        .init("localityReachMin", \.localityReachMin, in: 0...4),
        .init("localityReachMax", \.localityReachMax, in: 0...4),
        .init("validationFraction", \.validationFraction) { $0 > 0 && $0 < 0.5 ? nil : "must be in (0, 0.5)" },
        .init("checkEvery", \.checkEvery, in: 1...100_000),
        .init("patience", \.patience, in: 1...100_000),
        .init("parameters", \.parameters),
    ]

    public var relationProblem: String? {
        localityReachMin <= localityReachMax ? nil : "localityReachMin must not exceed localityReachMax"
    }
}

/// What a tuning did.
public struct TuningReport: Sendable {
    public var steps: Int
    /// PSNR (dB) of the held-out photo pixels before tuning and with the weights kept.
    public var validationPSNRBefore: Double
    public var validationPSNRAfter: Double
    public var seconds: Double
    /// tuned - original, per tuned parameter.
    public var differences: [(name: String, values: [Float])]

    /// A copy of `base` with the differences added (the tuned decoder).
    public func tunedField(from base: any RadianceField) -> any RadianceField {
        let tuned = base.copy()
        let byName = Dictionary(tuned.parameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        for (name, values) in differences {
            guard let t = byName[name] else { continue }
            for i in 0..<t.count { t[i] += values[i] }
        }
        return tuned
    }
}

extension Inverter {
    /// Fine-tunes the weights of `field` (a copy of `reference`, the model's own) named by
    /// `settings` at the current code, views and lights, which stay fixed. progress(step, MSE).
    func tuneDecoder(
        reference: any RadianceField, codeTable: Tensor, settings t: TuneSettings,
        progress: ((Int, Float) -> Void)? = nil
    ) throws -> TuningReport {
        precondition(field !== reference, "tuning changes weights: the inverter needs a copy of the model's field")
        if let problem = t.firstProblem { throw ModelError(problem.description) }
        let t0 = Date()
        let prefixes = t.parameters ?? field.tunedParameterPrefixes
        let all = field.parameters
        let slots = all.indices.filter { i in prefixes.contains { all[i].name.hasPrefix($0) } }
        guard !slots.isEmpty else {
            throw ModelError(
                "no decoder weight is named \(prefixes.joined(separator: ", ")); the decoder has \(all.map(\.name).joined(separator: ", "))"
            )
        }
        let K = photoCount, D = code.count, O = codeTable.shape[0]
        // Validation pixels: a seeded fraction of each photo's object pixels, out of every batch.
        let validation = holdOut(fraction: t.validationFraction)
        defer { releaseHeldOut() }
        let validationRays = drawRays(from: validation).rays
        let dPhotometric = Tensor([K, 6])  // the view codes stay fixed: their gradient is dropped
        let pixelTerm = terms(dPhotometric: dPhotometric)[0]
        func validationMSE() -> Float {
            renderStep.run(rays: validationRays, codes: code.data, losses: [pixelTerm], backward: false) { _ in [nil] }[
                0]
        }
        let grads = ParameterGradients(like: all)
        let adam = Adam()
        let L = t.localityRays
        let originalStep = RenderStep(field: reference, objects: 1, rays: L)
        let tunedStep = RenderStep(field: field, objects: 1, rays: L)
        let neighbour = Tensor([1, D])  // (1, D)
        let locality = PhotometricMSE(weight: t.localityWeight)
        let cache = OccupancyCache(objects: 1, settings: settings.skipping)
        var best = validationMSE()
        let before = best
        var kept = slots.map { all[$0].tensor.array }
        var stale = 0, done = 0
        for s in 0..<t.steps {
            grads.zero()
            let (rays, _) = drawRays()
            let field = field
            let values = renderStep.run(rays: rays, codes: code.data, losses: [pixelTerm], grads: grads) { states in
                cache.grids(for: [0], step: s, field: field, states: states)
            }
            if t.localityWeight > 0 {
                // A code around the pivot, seen from a random rig camera: the tuned decoder should
                // render it as the original does.
                let j = rng.nextInt(O)
                let reach = t.localityReachMin + (t.localityReachMax - t.localityReachMin) * rng.nextFloat()
                for d in 0..<D { neighbour[d] = code[d] + reach * (codeTable[j * D + d] - code[d]) }
                let range = Rig.elevationRange
                let cam = Rig.camera(
                    azimuth: 360 * Double(rng.nextFloat()),
                    elevation: range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.nextFloat()),
                    distance: distance, fovDegrees: fov, width: width, height: height)
                var local = RayBatch(rays: L, samples: field.spec.samplesPerRay)
                for q in 0..<L {
                    let r = cam.ray(x: Double(rng.nextInt(width)) + 0.5, y: Double(rng.nextInt(height)) + 0.5)
                    for c in 0..<3 {
                        local.origins[3 * q + c] = Float(r.origin[c])
                        local.directions[3 * q + c] = Float(r.direction[c])
                    }
                    local.setLight(light, ray: q)
                }
                local.drawSampling(rng: &rng, probeFraction: 0)
                originalStep.run(rays: local, codes: neighbour.data, losses: [locality], backward: false) { _ in [nil] }
                for q in 0..<(3 * L) { local.targets[q] = originalStep.rgb[q] }
                tunedStep.run(rays: local, codes: neighbour.data, losses: [locality], grads: grads) { _ in [nil] }
            }
            adam.beginStep()
            for slot in slots { adam.update(all[slot].name, param: all[slot].tensor, grad: grads[slot], lr: t.lr) }
            done = s + 1
            progress?(done, values[0])
            if done % t.checkEvery == 0 || done == t.steps {
                let mse = validationMSE()
                if mse < best * (1 - Self.validationProgress) {
                    best = mse
                    kept = slots.map { all[$0].tensor.array }
                    stale = 0
                } else {
                    stale += 1
                    if stale >= t.patience { break }
                }
            }
        }
        // The weights that did best on the held-out pixels (the original's if none did better).
        var differences: [(name: String, values: [Float])] = []
        let original = reference.parameters
        for (n, slot) in slots.enumerated() {
            let tensor = all[slot].tensor
            for i in 0..<tensor.count { tensor[i] = kept[n][i] }
            let base = original[slot].tensor
            differences.append((all[slot].name, (0..<tensor.count).map { kept[n][$0] - base[$0] }))
        }
        func psnr(_ mse: Float) -> Double { -10 * log10(Double(max(mse, 1e-10))) }
        return TuningReport(
            steps: done, validationPSNRBefore: psnr(before), validationPSNRAfter: psnr(best),
            seconds: Date().timeIntervalSince(t0), differences: differences)
    }

    /// Relative fall of the held-out error that counts as progress.
    static let validationProgress: Float = 0.002
}
