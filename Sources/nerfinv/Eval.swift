import ArgumentParser
import Datasets
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore

/// `nerfinv eval`: novel-view quality on a test-protocol dataset.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score novel views of held-out objects (test protocol: view 0 is the input, views 1-24 are scored).",
        discussion: """
        Modes:
          encoder      the encoder's identity and view codes from view 0
          refine       encoder start, then refinement of both codes against view 0
          mean-refine  optimisation only: mean code, coarse pose search, refinement
          fit          a code fitted to all 25 posed views (multi-view upper bound)
        Novel views are rendered at their true cameras. Object PSNR counts only pixels inside the \
        union of the true and predicted silhouettes. Code consistency is the mean cosine similarity \
        of (mean-centred) identity codes inverted from two views of one object, against that of two \
        objects.

        Example:
          nerfinv eval --data data/cars_test --modes encoder,refine,mean-refine,fit \\
            --report eval.json --save-renders eval_renders
        """
    )

    enum Mode: String, CaseIterable, ExpressibleByArgument {
        case encoder, refine, meanRefine = "mean-refine", fit
        var inversion: InversionMode? {
            switch self { case .encoder: .encoder; case .refine: .refine; case .meanRefine: .meanRefine; case .fit: nil }
        }
    }

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Test-protocol dataset folder (from `nerfinv generate --protocol test`).")
    var data: String

    @Option(parsing: .upToNextOption, help: "Modes to evaluate (comma or space separated): encoder, refine, mean-refine, fit.")
    var modes: [String] = ["encoder", "refine", "mean-refine", "fit"]

    @Option(help: "Evaluate only the first N objects.")
    var limit: Int?

    @Option(help: "Adam steps for the fit mode.")
    var fitSteps: Int = 300

    @Option(help: "Refinement steps for refine and mean-refine.")
    var refineSteps: Int = RefineSettings().steps

    @Option(help: "In-domain weight of refinement: pull of the identity code towards its start, relative to the code table's spread.")
    var anchorWeight: Float = RefineSettings().anchorWeight

    @Flag(inversion: .prefixedNo, help: "Refine the photometric gain/bias of the view code (test renders have neutral exposure).")
    var photometric = true

    @Option(help: "Fraction of refinement rays drawn from the object and its outline.")
    var objectRays: Float = RefineSettings().objectRayFraction

    @Option(help: "Weight of the latent prior λ||z||² during refinement (training used 1e-4).")
    var prior: Float = RefineSettings().prior

    enum TruePose: String, ExpressibleByArgument, CaseIterable { case fixed, start }

    @Option(help: "Diagnostic: refinement starts at view 0's true camera and keeps it fixed, or only starts there (how much of the error is the pose's).")
    var truePose: TruePose?

    @Flag(inversion: .prefixedNo, help: "Skip empty space during refinement (the occupancy grid of the moving code).")
    var skipping = true

    @Option(help: "Rays per refinement step.")
    var refineRays: Int = RefineSettings().raysPerStep

    @Option(help: "Learning rate of the identity code during refinement.")
    var refineLR: Float = RefineSettings().lrCode

    @Option(help: "Objects whose second view is also inverted for the consistency figure (refining modes; the encoder does all).")
    var consistencyObjects: Int = 10

    @Option(help: "Write the figures as JSON here.")
    var report: String?

    @Option(help: "Folder for a comparison sheet per mode (input | truth | prediction for a few novel views).")
    var saveRenders: String?

    @OptionGroup var output: OutputOptions

    var parsedModes: [Mode] { modes.flatMap { $0.split(separator: ",") }.compactMap { Mode(rawValue: String($0)) } }

    /// The second view inverted for the consistency figure (azimuth 165°, opposite side of view 0).
    static let consistencyView = 12

    func validate() throws {
        let names = modes.flatMap { $0.split(separator: ",") }.map(String.init)
        for n in names where Mode(rawValue: n) == nil {
            throw ValidationError("unknown mode '\(n)'; available: \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard fitSteps >= 1, fitSteps <= 100_000 else { throw ValidationError("--fit-steps must be in 1...100000") }
        guard refineSteps >= 1, refineSteps <= 100_000 else { throw ValidationError("--refine-steps must be in 1...100000") }
        guard refineRays >= 16, refineRays <= 65536 else { throw ValidationError("--refine-rays must be in 16...65536") }
        guard anchorWeight >= 0, anchorWeight.isFinite, refineLR > 0, refineLR.isFinite else {
            throw ValidationError("--anchor-weight must be ≥ 0 and --refine-lr > 0")
        }
        guard prior >= 0, prior.isFinite else { throw ValidationError("--prior must be finite and ≥ 0") }
        guard consistencyObjects >= 0 else { throw ValidationError("--consistency-objects must be ≥ 0") }
    }

    struct ModeResult: Codable {
        var mode: String
        var objects: Int
        var psnr: Double
        var ssim: Double
        var objectPSNR: Double
        var allViewPSNR: Double
        var secondsPerObject: Double
        var perObjectPSNR: [String: Double]
        /// Median view-code errors of view 0, degrees (nil for fit, which is given the poses).
        var medianAzimuthError: Double?
        var medianElevationError: Double?
        /// Mean cosine similarity of codes from two views of one object, and of two objects.
        var sameObjectCosine: Double?
        var otherObjectCosine: Double?
        var encoderSeconds: Double?
    }

    func run() throws {
        let (model, _) = try modelOptions.load()
        var ids = try SRNDataset.objectIDs(root: data)
        if let limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else { throw FileError(path: data, reason: "no objects") }
        if parsedModes.contains(where: { $0 == .encoder || $0 == .refine }) && model.encoder == nil {
            throw ValidationError("\(modelOptions.model) has no encoder: run `nerfinv train-encoder`, or evaluate mean-refine and fit only")
        }
        if let saveRenders { try FileManager.default.createDirectory(atPath: saveRenders, withIntermediateDirectories: true) }
        var settings = RefineSettings()
        settings.steps = refineSteps
        settings.anchorWeight = anchorWeight
        settings.lrCode = refineLR
        settings.raysPerStep = refineRays
        settings.refinePhotometric = photometric
        settings.objectRayFraction = objectRays
        settings.prior = prior
        settings.skipEmptySpace = skipping
        let meanCode = model.meanCode
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for d in 0..<a.count { let x = Double(a[d] - meanCode[d]), y = Double(b[d] - meanCode[d]); ab += x * y; aa += x * x; bb += y * y }
            return ab / max(1e-12, (aa * bb).squareRoot())
        }
        var results: [ModeResult] = []
        for mode in parsedModes {
            let bar = ProgressBar(total: ids.count, label: "eval \(mode.rawValue)", unit: "objects", quiet: output.silent, logOffTerminal: true)
            var psnr: [Double] = [], ssim: [Double] = [], opsnr: [Double] = [], allPSNR: [Double] = [], seconds: [Double] = []
            var azErr: [Double] = [], elErr: [Double] = [], same: [Double] = [], other: [Double] = [], encSeconds: [Double] = []
            var perObject: [String: Double] = [:]
            var sheet: [RGBAImage] = []
            var previousCode: [Float]? = nil
            for (k, id) in ids.enumerated() {
                let object = try SRNDataset.loadObject("\(data)/\(id)", withDepth: false)
                guard object.views.count >= 2 else { throw FileError(path: "\(data)/\(id)", reason: "needs view 0 plus novel views") }
                let secondView = min(Self.consistencyView, object.views.count - 1)
                let W = object.views[0].image.width, H = object.views[0].image.height
                let t0 = Date()
                let code: [Float]
                if let inversion = mode.inversion {
                    var runSettings = settings
                    var given: ViewCode? = nil
                    if let truePose {
                        let a = Rig.angles(of: object.views[0].camera.position)
                        given = ViewCode(azimuth: a.azimuth, elevation: a.elevation)
                        runSettings.refinePose = truePose == .start
                    }
                    let r = try Inversion.run(model: model, photo: object.views[0].image.rgb, width: W, height: H, mode: inversion,
                                              settings: runSettings, givenView: given)
                    code = r.code
                    seconds.append(Date().timeIntervalSince(t0))
                    if inversion != .meanRefine { encSeconds.append(r.encoderSeconds) }
                    let truth = Rig.angles(of: object.views[0].camera.position)
                    azErr.append(ViewCode.azimuthError(r.view.azimuth, truth.azimuth))
                    elErr.append(abs(r.view.elevation - truth.elevation))
                    if inversion == .encoder || k < consistencyObjects {
                        let second = try Inversion.run(model: model, photo: object.views[secondView].image.rgb, width: W, height: H,
                                                       mode: inversion, settings: settings)
                        same.append(cosine(code, second.code))
                    }
                    if let previousCode { other.append(cosine(code, previousCode)) }
                    previousCode = code
                } else {
                    let fitter = CodeFitter(decoder: model.decoder, start: meanCode,
                                            views: object.views.map { TrainingData.View(image: $0.image, camera: $0.camera) }, width: W, height: H)
                    fitter.fit(steps: fitSteps)
                    code = fitter.code.array
                    seconds.append(Date().timeIntervalSince(t0))
                }
                let renderer = FieldRenderer(decoder: model.decoder, code: code)
                var objPSNR: [Double] = []
                for (v, view) in object.views.enumerated() {
                    let out = renderer.render(camera: view.camera)
                    let pred = srgbImage(out.image)
                    let p = Metrics.psnr(pred, view.image)
                    allPSNR.append(p)
                    guard v > 0 else { continue }
                    psnr.append(p); objPSNR.append(p)
                    ssim.append(Metrics.ssim(pred, view.image))
                    let truth = Metrics.foreground(view.image)
                    let mask = (0..<(W * H)).map { truth[$0] || out.image.pixels[4 * $0 + 3] > 0.5 }
                    opsnr.append(Metrics.maskedPSNR(pred, view.image, mask: mask))
                    if saveRenders != nil, k < 6, [1, 7, 13, 19].contains(v) {
                        if v == 1 { sheet.append(object.views[0].image) }
                        sheet.append(view.image); sheet.append(pred)
                    }
                }
                perObject[id] = objPSNR.reduce(0, +) / Double(objPSNR.count)
                bar.update(k + 1, extra: String(format: "novel-view PSNR %.2f dB", psnr.reduce(0, +) / Double(psnr.count)))
            }
            func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(max(1, x.count)) }
            func median(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.sorted()[x.count / 2] }
            results.append(ModeResult(mode: mode.rawValue, objects: ids.count, psnr: mean(psnr), ssim: mean(ssim), objectPSNR: mean(opsnr),
                                      allViewPSNR: mean(allPSNR), secondsPerObject: mean(seconds), perObjectPSNR: perObject,
                                      medianAzimuthError: median(azErr), medianElevationError: median(elErr),
                                      sameObjectCosine: same.isEmpty ? nil : mean(same), otherObjectCosine: other.isEmpty ? nil : mean(other),
                                      encoderSeconds: encSeconds.isEmpty ? nil : mean(encSeconds)))
            if let saveRenders, !sheet.isEmpty {
                try PNG.write(ContactSheet.make(sheet, columns: 9), to: "\(saveRenders)/\(mode.rawValue)_comparison.png")
            }
        }
        if let report {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try enc.encode(results), to: report)
        }
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
        } else if !output.quiet {
            print("| mode | objects | novel-view PSNR (dB) | SSIM | object PSNR (dB) | all-view PSNR (dB) | median az / el error (°) | code cosine same / other | s/object |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            for r in results {
                let pose = r.medianAzimuthError.map { String(format: "%.1f / %.1f", $0, r.medianElevationError ?? 0) } ?? "given"
                let cos = r.sameObjectCosine.map { String(format: "%.2f / %.2f", $0, r.otherObjectCosine ?? 0) } ?? "-"
                print(String(format: "| %@ | %d | %.2f | %.4f | %.2f | %.2f | %@ | %@ | %.2f |", r.mode, r.objects, r.psnr, r.ssim, r.objectPSNR,
                             r.allViewPSNR, pose, cos, r.secondsPerObject))
            }
        }
    }
}
