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
        Modes: fit (the code fitted to all 25 views with the decoder frozen: the multi-view upper bound).
        Example:
          nerfinv eval --data data/cars_test --modes fit --limit 20 --report eval.json --save-renders eval_renders
        """
    )

    enum Mode: String, CaseIterable, ExpressibleByArgument { case fit }

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Test-protocol dataset folder (from `nerfinv generate --protocol test`).")
    var data: String

    @Option(parsing: .upToNextOption, help: "Modes to evaluate (comma or space separated): fit.")
    var modes: [String] = ["fit"]

    @Option(help: "Evaluate only the first N objects.")
    var limit: Int?

    @Option(help: "Adam steps for the fit mode.")
    var fitSteps: Int = 300

    @Option(help: "Write the figures as JSON here.")
    var report: String?

    @Option(help: "Folder for a comparison sheet per mode (input | truth | prediction for a few novel views).")
    var saveRenders: String?

    @Flag(help: "No progress output.")
    var quiet = false

    var parsedModes: [Mode] { modes.flatMap { $0.split(separator: ",") }.compactMap { Mode(rawValue: String($0)) } }

    func validate() throws {
        let names = modes.flatMap { $0.split(separator: ",") }.map(String.init)
        for n in names where Mode(rawValue: n) == nil {
            throw ValidationError("unknown mode '\(n)'; available: \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard fitSteps >= 1, fitSteps <= 100_000 else { throw ValidationError("--fit-steps must be in 1...100000") }
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
    }

    func run() throws {
        let (model, _) = try modelOptions.load()
        var ids = try SRNDataset.objectIDs(root: data)
        if let limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else { throw FileError(path: data, reason: "no objects") }
        if let saveRenders { try FileManager.default.createDirectory(atPath: saveRenders, withIntermediateDirectories: true) }
        var results: [ModeResult] = []
        for mode in parsedModes {
            let bar = ProgressBar(total: ids.count, label: "eval \(mode.rawValue)", unit: "objects", quiet: quiet)
            var psnr: [Double] = [], ssim: [Double] = [], opsnr: [Double] = [], allPSNR: [Double] = [], seconds: [Double] = []
            var perObject: [String: Double] = [:]
            var sheet: [RGBAImage] = []
            for (k, id) in ids.enumerated() {
                let object = try SRNDataset.loadObject("\(data)/\(id)", withDepth: false)
                guard object.views.count >= 2 else { throw FileError(path: "\(data)/\(id)", reason: "needs view 0 plus novel views") }
                let W = object.views[0].image.width, H = object.views[0].image.height
                let t0 = Date()
                let fitter = CodeFitter(decoder: model.decoder, start: model.meanCode,
                                        views: object.views.map { TrainingData.View(image: $0.image, camera: $0.camera) }, width: W, height: H)
                fitter.fit(steps: fitSteps)
                seconds.append(Date().timeIntervalSince(t0))
                let renderer = FieldRenderer(decoder: model.decoder, code: fitter.code.array)
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
            results.append(ModeResult(mode: mode.rawValue, objects: ids.count, psnr: mean(psnr), ssim: mean(ssim), objectPSNR: mean(opsnr),
                                      allViewPSNR: mean(allPSNR), secondsPerObject: mean(seconds), perObjectPSNR: perObject))
            if let saveRenders, !sheet.isEmpty {
                try PNG.write(ContactSheet.make(sheet, columns: 9), to: "\(saveRenders)/\(mode.rawValue)_comparison.png")
            }
        }
        print("| mode | objects | novel-view PSNR (dB) | SSIM | object PSNR (dB) | all-view PSNR (dB) | s/object |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in results {
            print(String(format: "| %@ | %d | %.2f | %.4f | %.2f | %.2f | %.1f |", r.mode, r.objects, r.psnr, r.ssim, r.objectPSNR, r.allViewPSNR, r.secondsPerObject))
        }
        if let report {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try enc.encode(results), to: report)
        }
    }
}
