import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model
import NeuralCore

// The test protocol: view 0 of each held-out object is the input, views 1... are scored.
// W H view size.

/// How one evaluation runs (the `eval` command's options).
public struct EvaluationSettings: Sendable {
    public enum Mode: String, CaseIterable, Codable, Sendable {
        case encoder, refine, meanRefine = "mean-refine", fit
        /// refine, then the layered latent: at the refine settings' layer steps, or
        /// `EvaluationSettings.layeredSteps` where they have none. Beside it, `refine` is the code
        /// only (`--modes refine,layered`: the same cars with and without, in one run and one sheet).
        case layered
        /// The one-shot encoder and the iterative encoder's updates (`invert --fast`).
        case fast

        /// Modes named in a list (comma or space separated), or an error naming the unknown one.
        public static func parse(_ names: [String]) throws -> [Mode] {
            let available = allCases.map(\.rawValue).joined(separator: ", ")
            let modes = try names.flatMap { $0.split(separator: ",") }.map { name in
                guard let mode = Mode(rawValue: String(name)) else {
                    throw ModelError("unknown mode '\(name)'; available: \(available)")
                }
                return mode
            }
            guard !modes.isEmpty else { throw ModelError("--modes names no mode; available: \(available)") }
            return modes
        }
        var inversion: InversionMode? {
            switch self {
            case .encoder: .encoder
            case .refine, .layered: .refine
            case .meanRefine: .meanRefine
            case .fast: .fast
            case .fit: nil
            }
        }
    }

    /// Diagnostic: refinement starts at view 0's true camera and keeps it fixed, or only starts there.
    public enum TruePose: String, CaseIterable, Sendable { case fixed, start }

    public var modes: [Mode] = [.encoder, .refine, .meanRefine, .fit]
    /// Layer steps of the `layered` mode where the refine settings have none.
    public static let layeredSteps = 150
    /// Evaluate only the first N objects (of those `paints` leaves).
    public var limit: Int?
    /// Only cars of these paint families (nil: all); a set that records no paint has none.
    public var paints: [PaintFamily]?
    public var fitSteps = CodeFitter.defaultSteps
    /// Refinement settings (nil: the model's field kind's defaults).
    public var refine: RefineSettings?
    public var truePose: TruePose?
    /// Objects whose second view is also inverted for the consistency figure (refining modes; the
    /// encoder does all).
    public var consistencyObjects = 10
    /// Evaluate only every `count`-th object, starting at object `number` (1...count) of the set
    /// (after --paint and --limit); the report keeps every object's figures for `Evaluation.merge`.
    public var shard: Shard?
    /// Folder for a comparison sheet per mode (input | truth | prediction for a few novel views),
    /// and with several modes one sheet of them all (input | per view: truth, each mode).
    public var saveRenders: String?
    /// Restoration: hide a random rectangle covering this fraction of the object in the input view
    /// (filled grey, and masked from the loss), as a user's occluder would.
    public var occlude: Double?
    /// Restoration: invert a grayscale version of the input view, compared in luminance only.
    public var grayscale = false
    /// Restoration: the input view shrunk to this side (16, 32), inverted through the render's
    /// average over each pixel's footprint; novel views are still scored at full size.
    public var inputSize: Int?
    /// Views of the test protocol given as input (one object, several photos: a joint inversion);
    /// the others are scored.
    public var inputViews = [0]
    /// Tune the decoder on the input views after refinement (refining modes).
    public var tune: TuneSettings?
    /// Input views from the set's photos with backgrounds (`photo/`, from `generate --backgrounds`)
    /// instead of the white-background views; the scored views stay over white.
    public var backgroundInput = false
    /// Removes those backgrounds first (nil: the photos are inverted as they are).
    public var matting: MattingNetwork? = nil
    public init() {}

    /// Views of each object in the test protocol (view 0 the input, the rest around the object).
    public static var protocolViews: Int { Rig.testViews.count }

    /// The second view inverted for the consistency figure (azimuth 165°, opposite side of view 0).
    static let consistencyView = 12
    /// Objects and views of the comparison sheet.
    static let sheetObjects = 6
    public static let sheetViews = [1, 7, 13, 19]
    /// Views at least this far in azimuth from the input (degrees) are its far side.
    static let farSideAngle = 90.0
    /// Views at least this far (120-240° from the input) are its back: what neither the photo nor
    /// its mirror image shows of a side view.
    static let backAngle = 120.0
}

/// The figures of one mode.
public struct ModeResult: Codable, Sendable {
    public var mode: String
    public var objects: Int
    public var psnr: Double
    var ssim: Double
    var objectPSNR: Double
    var allViewPSNR: Double
    /// PSNR of the input views rendered at their true cameras (how well the inversion fits what it saw).
    var inputViewPSNR: Double?
    /// With a small input (`inputSize`): PSNR of the input enlarged bicubically to the views' size
    /// against the true view, the baseline a render from the inversion should beat.
    var bicubicInputPSNR: Double?
    /// Mean decoder-tuning steps run before the early stop (nil: no tuning).
    var tuneSteps: Double?
    /// Mean steps of the layered phase before its early stop (nil: the code only).
    public var layerSteps: Double?
    /// Per object, the layered phase's gain on its held-out photo pixels (dB), and the objects
    /// whose residuals were kept (`LayerSettings.minimumGain`).
    public var perObjectLayerGain: [String: Double]?
    var layersKept: Int?
    var secondsPerObject: Double
    public var perObjectPSNR: [String: Double]
    /// Mean PSNR of each scored view over the objects, keyed by the view's number ("13"): which
    /// sides an inversion gets right, and a like-for-like comparison of modes given other views.
    public var perViewPSNR: [String: Double]?
    /// Median view-code errors of view 0, degrees (nil for fit, which is given the poses).
    public var medianAzimuthError: Double?
    var medianElevationError: Double?
    /// Mean cosine similarity of codes from two views of one object, and of two objects.
    public var sameObjectCosine: Double?
    var otherObjectCosine: Double?
    var encoderSeconds: Double?
    /// Mean error of the light found for the input view against the light it was rendered under
    /// (`lighting.json`; the canonical light for a set without one), for inverting modes.
    public var lightError: LightError?
    /// Mean ΔE*ab over the object's pixels (true and rendered object both) on the far-side views,
    /// those more than `EvaluationSettings.farSideAngle` in azimuth from the input: the colour of
    /// what the photo did not show.
    public var farSideDeltaE: Double?
    /// The same by paint family (`PaintFamily`), for sets that record their cars' paint.
    public var farSideDeltaEByPaint: [String: Double]?
    /// Cars of each paint family behind those means.
    public var farSideCarsByPaint: [String: Int]?
    public var perObjectFarSideDeltaE: [String: Double]?
    /// Mean PSNR of the views `EvaluationSettings.backAngle` or more in azimuth from the input
    /// (120-240°), overall and by paint family.
    public var backPSNR: Double?
    public var backPSNRByPaint: [String: Double]?
    /// Every object's figures, kept in a shard's report (`EvaluationSettings.shard`) for `merge`.
    public var records: [ObjectRecord]?
}

/// Novel-view quality of a model on a test-protocol dataset.
public enum Evaluation {
    /// Runs every mode of `settings` over the objects of `data`; `progress(mode, done, total, psnr)`.
    public static func run(
        model: NeRFModel, data: String, settings: EvaluationSettings,
        progress: ((EvaluationSettings.Mode, Int, Int, Double) -> Void)? = nil
    ) throws -> [ModeResult] {
        var ids = try SRNDataset.objectIDs(root: data)
        if let paints = settings.paints {
            let families = try ids.map { id in try PaintFamily.of(objectFolder: "\(data)/\(id)") }
            guard families.contains(where: { $0 != nil }) else {
                throw FileError(
                    path: data, reason: "records no paint for its cars (attributes.json): --paint cannot choose")
            }
            ids = zip(ids, families).filter { $0.1.map(paints.contains) ?? false }.map { $0.0 }
            guard !ids.isEmpty else {
                throw FileError(
                    path: data, reason: "has no cars of paint \(paints.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let limit = settings.limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else { throw FileError(path: data, reason: "no objects") }
        // A shard: every N-th object, each keeping its index in the whole set.
        let setSize = ids.count
        var objects = ids.enumerated().map { (index: $0.offset, id: $0.element) }
        if let shard = settings.shard {
            objects = shard.select(objects)
            guard !objects.isEmpty else {
                throw FileError(
                    path: data, reason: "has \(ids.count) objects: shard \(shard.number)/\(shard.count) gets none")
            }
        }
        ids = objects.map(\.id)
        try checkTestProtocol(data: data, ids: ids)
        if settings.modes.contains(where: { $0 == .encoder || $0 == .refine || $0 == .fast }) {
            _ = try model.requireEncoder()
        }
        if let dir = settings.saveRenders {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        var sheets: [SheetCells] = []
        let results = try settings.modes.map { mode in
            let (result, cells) = try evaluate(
                mode, model: model, data: data, objects: objects, setSize: setSize, settings: settings
            ) {
                done, psnr in progress?(mode, done, ids.count, psnr)
            }
            sheets.append(cells)
            return result
        }
        // The sheets' rows: the objects among the first `sheetObjects` of the set.
        let sheetIDs = objects.filter { $0.index < EvaluationSettings.sheetObjects }.map(\.id)
        if let dir = settings.saveRenders {
            for (mode, cells) in zip(settings.modes, sheets) where !cells.rows.isEmpty {
                try PNG.write(
                    cells.sheet(modes: [mode], ids: sheetIDs), to: "\(dir)/\(mode.rawValue)_comparison.png")
            }
            if settings.modes.count > 1, let first = sheets.first, !first.rows.isEmpty {
                try PNG.write(
                    SheetCells.merged(sheets).sheet(modes: settings.modes, ids: sheetIDs),
                    to: "\(dir)/modes_comparison.png")
            }
        }
        return results
    }

    /// The comparison sheet's images of one mode: per object, what the inversion was given and, per
    /// sheet view, the truth and each mode's render.
    struct SheetCells {
        var rows: [(input: RGBAImage, views: [(truth: RGBAImage, renders: [RGBAImage])])] = []
        /// The cells' side: the set's view size.
        var side = 0

        /// The modes' cells side by side (the first mode's inputs and truths).
        static func merged(_ all: [SheetCells]) -> SheetCells {
            var m = all[0]
            for other in all.dropFirst() {
                for r in m.rows.indices {
                    for v in m.rows[r].views.indices { m.rows[r].views[v].renders += other.rows[r].views[v].renders }
                }
            }
            return m
        }

        /// Input, then per sheet view (azimuth as heading) the truth and each mode's render.
        func sheet(modes: [EvaluationSettings.Mode], ids: [String]) -> RGBAImage {
            // Beside layered, refine is the code only: its column says so.
            let labels = modes.map { $0 == .refine && modes.contains(.layered) ? "code only" : $0.rawValue }
            let groups = EvaluationSettings.sheetViews.map { v in
                LabelledSheet.Group(
                    title: String(format: "azimuth %.0f", Rig.testViews[v].azimuth), columns: ["truth"] + labels)
            }
            return LabelledSheet(firstColumn: "input", groups: groups, cell: side).make(
                rows: rows.enumerated().map { k, row in
                    (ids[k], [row.input] + row.views.flatMap { [$0.truth] + $0.renders })
                })
        }
    }

    /// The input view as a restoration setting damages it: grey (luminance in all three channels),
    /// and/or a grey rectangle over `occlude` of the object's pixels (seeded by the object's index),
    /// with the mask of what it hides.
    static func restorationInput(_ view: RGBAImage, settings: EvaluationSettings, object k: Int) -> (
        RGBAImage, [Bool]?
    ) {
        var image = view
        let W = image.width, H = image.height
        if settings.grayscale {
            for p in 0..<(W * H) {
                let y =
                    0.2126 * image.pixels[4 * p] + 0.7152 * image.pixels[4 * p + 1] + 0.0722 * image.pixels[4 * p + 2]
                for c in 0..<3 { image.pixels[4 * p + c] = y }
            }
        }
        guard let fraction = settings.occlude, fraction > 0 else { return (image, nil) }
        let object = Metrics.foreground(view)
        let count = object.filter { $0 }.count
        guard count > 0 else { return (image, nil) }
        var xs = (W, 0), ys = (H, 0)
        for p in 0..<(W * H) where object[p] {
            xs = (min(xs.0, p % W), max(xs.1, p % W))
            ys = (min(ys.0, p / W), max(ys.1, p / W))
        }
        // A square of growing side at a seeded spot inside the object's box, until it covers the
        // fraction of the object's pixels.
        var rng = SplitMix64(seed: 0x0CC1_0DE0 &+ UInt64(k))
        let cx = xs.0 + rng.nextInt(max(1, xs.1 - xs.0 + 1)), cy = ys.0 + rng.nextInt(max(1, ys.1 - ys.0 + 1))
        var mask = [Bool](repeating: false, count: W * H)
        var side = 1
        while side <= max(W, H) {
            let x0 = max(0, cx - side / 2), y0 = max(0, cy - side / 2)
            let x1 = min(W, x0 + side), y1 = min(H, y0 + side)
            var covered = 0
            for y in y0..<y1 { for x in x0..<x1 where object[y * W + x] { covered += 1 } }
            if Double(covered) >= fraction * Double(count) || side == max(W, H) {
                for y in y0..<y1 { for x in x0..<x1 { mask[y * W + x] = true } }
                break
            }
            side += 1
        }
        for p in 0..<(W * H) where mask[p] { for c in 0..<3 { image.pixels[4 * p + c] = 0.5 } }
        return (image, mask)
    }

    /// Refuses, before any inversion, a set that is not in the test protocol (its dataset.json says
    /// another) or an object with views missing: the scores would mean something else.
    static func checkTestProtocol(data: String, ids: [String]) throws {
        if let manifest = DatasetManifest.read(data), manifest.protocol != "test" {
            throw FileError(
                path: data + "/dataset.json",
                reason:
                    "is a \(manifest.protocol)-protocol set; eval scores test-protocol sets (view 0 the input at 35°/20°, views 1-24 around the object): make one with `nerfinv generate --protocol test`"
            )
        }
        let expected = Rig.testViews.count
        for id in ids {
            let rgb = "\(data)/\(id)/rgb"
            let count = ((try? FileManager.default.contentsOfDirectory(atPath: rgb)) ?? []).filter {
                $0.lowercased().hasSuffix(".png")
            }.count
            guard count == expected else {
                throw FileError(
                    path: "\(data)/\(id)",
                    reason: "has \(count) views; the test protocol has \(expected) (views missing?)")
            }
        }
    }

    /// Whether view 0 of an object is the protocol's input view (35°, 20°), within half a degree.
    static func checkInputView(_ camera: Camera, object: String) throws {
        let a = Rig.angles(of: camera.position), want = Rig.testViews[0]
        guard ViewCode.azimuthError(a.azimuth, want.azimuth) < 0.5, abs(a.elevation - want.elevation) < 0.5 else {
            throw FileError(
                path: object,
                reason: String(
                    format: "view 0 is at azimuth %.1f°, elevation %.1f°; the test protocol's input is at 35°, 20°",
                    a.azimuth, a.elevation))
        }
    }

    /// Cosine similarity of two codes centred on the mean code.
    static func cosine(_ a: [Float], _ b: [Float], mean: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for d in 0..<a.count {
            let x = Double(a[d] - mean[d]), y = Double(b[d] - mean[d])
            ab += x * y
            aa += x * x
            bb += y * y
        }
        return ab / max(1e-12, (aa * bb).squareRoot())
    }

    /// The inversion's input for object number `k` (its folder `path`): the protocol's input views,
    /// from the set's photos with backgrounds when asked (matted when a network is given), damaged
    /// as a restoration setting says and shrunk to `inputSize`; with the first as the sheet shows it
    /// and, for a shrunk input, the PSNR of its bicubic enlargement against the true view.
    static func protocolInput(_ object: MultiViewObject, path: String, index k: Int, settings: EvaluationSettings)
        throws -> (input: InversionInput, shown: RGBAImage, bicubic: Double?)
    {
        let W = object.views[0].image.width, H = object.views[0].image.height
        var inputs: [RGBAImage] = []
        var ignored: [[Bool]?] = []
        var shown = object.views[settings.inputViews[0]].image, bicubic: Double? = nil
        for (n, v) in settings.inputViews.enumerated() {
            var given = object.views[v].image
            if settings.backgroundInput {
                let photo = "\(path)/photo/\(SRNDataset.viewName(v)).png"
                guard FileManager.default.fileExists(atPath: photo) else {
                    throw FileError(
                        path: path,
                        reason: "has no photo/ views: make the set with `nerfinv generate --backgrounds`")
                }
                given = try PNG.read(photo).image
                if let matting = settings.matting { given = InversionInput.matted(given, with: matting).image }
            }
            var (input, ignore) = restorationInput(given, settings: settings, object: k)
            if n == 0 { shown = input }
            if let S = settings.inputSize, S < W {
                // Area-averaged, as a small photo of the same view would be; the mask follows.
                input = Resample.resize(input, width: S, height: S)
                ignore = ignore.map { full in
                    var m = RGBAImage(width: W, height: H)
                    for p in 0..<(W * H) where full[p] { m.pixels[4 * p] = 1 }
                    let small = Resample.resize(m, width: S, height: S)
                    return (0..<(S * S)).map { small.pixels[4 * $0] > 0.5 }
                }
                if n == 0 { bicubic = Metrics.psnr(Bicubic.resize(input, width: W, height: H), object.views[v].image) }
            }
            inputs.append(input)
            ignored.append(ignore)
        }
        let input = InversionInput(images: inputs, ignore: ignored, viewSide: W, grayscale: settings.grayscale)
        return (input, shown, bicubic)
    }

    /// One mode over `objects` (each with its index in the whole set, which the consistency
    /// figure, the sheets and the restoration settings' seeds go by); `progress(done, mean PSNR)`.
    static func evaluate(
        _ mode: EvaluationSettings.Mode, model: NeRFModel, data: String, objects: [(index: Int, id: String)],
        setSize: Int, settings: EvaluationSettings, progress: (Int, Double) -> Void
    ) throws -> (ModeResult, SheetCells) {
        let meanCode = model.meanCode
        var records: [ObjectRecord] = []
        var sheet = SheetCells()
        for (done, (k, id)) in objects.enumerated() {
            var record = ObjectRecord(index: k, id: id, setSize: setSize)
            let object = try SRNDataset.loadObject("\(data)/\(id)", withDepth: false)
            guard object.views.count >= 2 else {
                throw FileError(path: "\(data)/\(id)", reason: "needs view 0 plus novel views")
            }
            try checkInputView(object.views[0].camera, object: "\(data)/\(id)")
            // Each view's recorded light: a lit field renders the scored views under it, as it renders
            // them from their cameras (the input's light stays unknown to the inversion).
            let lights =
                try ViewLight.load(objectFolder: "\(data)/\(id)", views: object.views.count)
                ?? Array(repeating: .canonical, count: object.views.count)
            let secondView = min(EvaluationSettings.consistencyView, object.views.count - 1)
            let W = object.views[0].image.width, H = object.views[0].image.height
            guard settings.inputViews.allSatisfy({ $0 < object.views.count }) else {
                throw FileError(
                    path: "\(data)/\(id)",
                    reason: "has \(object.views.count) views; --input-views asks for view \(settings.inputViews.max()!)"
                )
            }
            let inputViews = settings.inputViews
            let t0 = Date()
            let code: [Float]
            var field = model.field
            // The input views as the inversion found them (camera, photometric code, light), for the
            // input-view figure: how well the result reproduces what it was given.
            var found: [(view: ViewCode, light: ViewLight)] = []
            var shownInput = object.views[inputViews[0]].image  // what the inversion was given, for the sheet
            if let inversion = mode.inversion {
                let (input, shown, small) = try protocolInput(
                    object, path: "\(data)/\(id)", index: k, settings: settings)
                shownInput = shown
                record.bicubicInputPSNR = small
                var runSettings = input.settings(settings.refine ?? model.refineDefaults)
                if mode == .layered && runSettings.layers.steps == 0 {
                    runSettings.layers.steps = EvaluationSettings.layeredSteps
                }
                // Beside the layered mode, refine is its code-only twin whatever the settings say.
                if mode == .refine && settings.modes.contains(.layered) { runSettings.layers.steps = 0 }
                var given: [ViewCode]? = nil
                if let truePose = settings.truePose {
                    given = inputViews.map { v in
                        let a = Rig.angles(of: object.views[v].camera.position)
                        return ViewCode(azimuth: a.azimuth, elevation: a.elevation)
                    }
                    runSettings.refinePose = truePose == .start
                }
                let r = try Inversion.run(
                    model: model, photos: input.photos, width: input.side, height: input.side, mode: inversion,
                    settings: runSettings, givenViews: given, tune: inversion == .encoder ? nil : settings.tune)
                code = r.code
                found = Array(zip(r.views, r.lights))
                if let first = r.lights.first {
                    record.lightError = LightError(found: first, truth: lights[inputViews[0]])
                }
                if let tuning = r.tuning {
                    field = tuning.tunedField(from: model.field)
                    record.tuneSteps = Double(tuning.steps)
                }
                if let layers = r.layers {
                    field = try LayeredField.with(layers.residuals, on: field)
                    // (The iterative encoder's predicted residual, `fast`, is no layered phase.)
                    if let psnr = layers.heldOutPSNR {
                        record.layerSteps = Double(layers.steps)
                        record.layerGain = psnr.after - psnr.before
                        record.layersKept = layers.accepted
                    }
                }
                record.seconds = Date().timeIntervalSince(t0)
                if inversion != .meanRefine { record.encoderSeconds = r.encoderSeconds }
                let truth = Rig.angles(of: object.views[inputViews[0]].camera.position)
                record.azimuthError = ViewCode.azimuthError(r.view.azimuth, truth.azimuth)
                record.elevationError = abs(r.view.elevation - truth.elevation)
                if inputViews.count == 1 && (inversion == .encoder || k < settings.consistencyObjects) {
                    var codeOnly = settings.refine ?? model.refineDefaults  // the codes are compared
                    codeOnly.layers.steps = 0
                    let second = try Inversion.run(
                        model: model, photo: object.views[secondView].image.rgb, width: W, height: H, mode: inversion,
                        settings: codeOnly)
                    record.sameObjectCosine = cosine(code, second.code, mean: meanCode)
                }
                record.centredCode = zip(code, meanCode).map { $0 - $1 }
            } else {
                let fitter = CodeFitter(
                    field: model.field, start: meanCode,
                    views: zip(object.views, lights).map {
                        TrainingData.View(image: $0.image, camera: $0.camera, light: $1)
                    },
                    width: W, height: H)
                fitter.fit(steps: settings.fitSteps)
                var fitted = fitter.code.array
                if let s = settings.refine, s.layers.steps > 0 {
                    // The layered phase on every posed view, from the fitted code.
                    let photos = zip(object.views, lights).map { v, l in
                        let a = Rig.angles(of: v.camera.position)
                        return InversionPhoto(
                            pixels: v.image.rgb, width: W, height: H,
                            startView: ViewCode(azimuth: a.azimuth, elevation: a.elevation), startLight: l)
                    }
                    let r = try Inversion.fitLayers(
                        field: model.field, code: fitted, photos: photos, codeVariance: model.codeVariance, settings: s,
                        distance: model.config.cameraDistance, fov: model.config.fovDegrees)
                    fitted = r.code
                    field = try LayeredField.with(r.report.residuals, on: field)
                    record.layerSteps = Double(r.report.steps)
                }
                code = fitted
                record.seconds = Date().timeIntervalSince(t0)
            }
            let renderer = FieldRenderer(field: field, code: code)
            var objDeltaE: [Double] = [], objBack: [Double] = []
            let inputAzimuth = Rig.angles(of: object.views[inputViews[0]].camera.position).azimuth
            for (v, view) in object.views.enumerated() {
                renderer.light = lights[v]
                let out = renderer.render(camera: view.camera)
                let pred = out.image.clamped()
                let p = Metrics.psnr(pred, view.image)
                record.allViewPSNR.append(p)
                // Inverting modes score every view they were not given; fit scores views 1... as always.
                let given = mode.inversion != nil ? inputViews.contains(v) : v == 0
                if given {
                    if let n = inputViews.firstIndex(of: v), n < found.count {
                        // Rendered at the found view with its photometric code, against the clean view.
                        let recon = InversionSession.render(
                            renderer, at: found[n].view, light: found[n].light, width: W, height: H, model: model)
                        record.inputViewPSNR.append(Metrics.psnr(recon, object.views[v].image))
                    }
                    continue
                }
                record.views.append(v)
                record.psnr.append(p)
                record.ssim.append(Metrics.ssim(pred, view.image))
                let truth = Metrics.foreground(view.image)
                let rendered = (0..<(W * H)).map { out.image.pixels[4 * $0 + 3] > 0.5 }
                let mask = (0..<(W * H)).map { truth[$0] || rendered[$0] }
                record.objectPSNR.append(Metrics.maskedPSNR(pred, view.image, mask: mask))
                let azimuth = Rig.angles(of: view.camera.position).azimuth
                if ViewCode.azimuthError(azimuth, inputAzimuth) >= EvaluationSettings.backAngle { objBack.append(p) }
                if ViewCode.azimuthError(azimuth, inputAzimuth) >= EvaluationSettings.farSideAngle {
                    // Where both show the object: a colour error, not a silhouette one.
                    let both = (0..<(W * H)).map { truth[$0] && rendered[$0] }
                    if let e = Metrics.meanDeltaE(pred, view.image, mask: both) { objDeltaE.append(e) }
                }
                if settings.saveRenders != nil, k < EvaluationSettings.sheetObjects,
                    EvaluationSettings.sheetViews.contains(v)
                {
                    if v == EvaluationSettings.sheetViews[0] {
                        let input =
                            shownInput.width == W ? shownInput : Resample.resize(shownInput, width: W, height: H)
                        sheet.rows.append((input, []))
                    }
                    sheet.rows[sheet.rows.count - 1].views.append((view.image, [pred]))
                    sheet.side = W
                }
            }
            let family = try PaintFamily.of(objectFolder: "\(data)/\(id)")
            record.paint = family?.rawValue
            if !objDeltaE.isEmpty { record.farSideDeltaE = objDeltaE.reduce(0, +) / Double(objDeltaE.count) }
            if !objBack.isEmpty { record.backPSNR = objBack.reduce(0, +) / Double(objBack.count) }
            records.append(record)
            let scored = records.flatMap(\.psnr)
            progress(done + 1, scored.reduce(0, +) / Double(max(1, scored.count)))
        }
        let result = ModeResult.aggregate(mode: mode.rawValue, records: records, keep: settings.shard != nil)
        return (result, sheet)
    }

    /// The results as a Markdown table.
    public static func table(_ results: [ModeResult]) -> String {
        var lines = [
            "| mode | objects | novel-view PSNR (dB) | SSIM | object PSNR (dB) | input-view PSNR (dB) | all-view PSNR (dB) | median az / el error (°) | code cosine same / other | s/object |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in results {
            let pose =
                r.medianAzimuthError.map { String(format: "%.1f / %.1f", $0, r.medianElevationError ?? 0) } ?? "given"
            let cos = r.sameObjectCosine.map { String(format: "%.2f / %.2f", $0, r.otherObjectCosine ?? 0) } ?? "-"
            lines.append(
                String(
                    format: "| %@ | %d | %.2f | %.4f | %.2f | %@ | %.2f | %@ | %@ | %.2f |", r.mode, r.objects, r.psnr,
                    r.ssim, r.objectPSNR, r.inputViewPSNR.map { String(format: "%.2f", $0) } ?? "-",
                    r.allViewPSNR, pose, cos, r.secondsPerObject))
        }
        for r in results {
            if let b = r.bicubicInputPSNR {
                lines.append(
                    String(
                        format: "\n%@: the small input enlarged bicubically scores %.2f dB at the input view", r.mode, b
                    ))
            }
            if let l = r.lightError {
                lines.append(
                    String(
                        format:
                            "\n%@: light found for the input view: key %.2f (off by %.3f), sky off by %.3f, direction off by %.1f°",
                        r.mode, l.foundKey, l.key, l.sky, l.angle))
            }
            if let b = r.backPSNR {
                let families = PaintFamily.allCases.compactMap { f in
                    r.backPSNRByPaint?[f.rawValue].map { String(format: "%@ %.2f", f.rawValue, $0) }
                }
                lines.append(
                    String(format: "\n%@: back (views 120-240° from the input) PSNR %.2f dB", r.mode, b)
                        + (families.isEmpty ? "" : " (" + families.joined(separator: ", ") + ")"))
            }
            if let e = r.farSideDeltaE {
                let families = PaintFamily.allCases.compactMap { f in
                    r.farSideDeltaEByPaint?[f.rawValue].map {
                        String(format: "%@ %.1f (%d cars)", f.rawValue, $0, r.farSideCarsByPaint?[f.rawValue] ?? 0)
                    }
                }
                lines.append(
                    String(format: "\n%@: far-side colour error ΔE*ab %.1f", r.mode, e)
                        + (families.isEmpty ? "" : " (" + families.joined(separator: ", ") + ")"))
            }
            if let t = r.tuneSteps {
                lines.append(
                    String(format: "\n%@: decoder tuning ran %.0f steps on average before its early stop", r.mode, t))
            }
            if let t = r.layerSteps {
                lines.append(
                    String(format: "\n%@: the layered phase ran %.0f steps on average before its early stop", r.mode, t)
                )
            }
            if let gains = r.perObjectLayerGain, let kept = r.layersKept {
                lines.append(
                    String(
                        format:
                            "\n%@: held-out photo pixels gained %.2f dB on average; residuals kept on %d of %d objects",
                        r.mode, gains.values.reduce(0, +) / Double(max(1, gains.count)), kept, gains.count))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The results as one line of JSON (`eval --json`).
    public static func json(_ results: [ModeResult]) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(results), as: UTF8.self)
    }

    /// The results as pretty JSON (the `--report` file).
    public static func writeReport(_ results: [ModeResult], to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A mode can have no value for a metric (NaN): written as "nan", not a failed report.
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(results), to: path)
    }
}
