import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import NeuralCore
import Scenes

// W H frame size.

/// What `generate` renders: a scene family, how many objects and views, which protocol.
public struct GenerationSettings: Sendable {
    public enum ViewProtocol: String, CaseIterable, Sendable { case train, test }
    /// canonical: RIG.md's light for every view; random: each view's light drawn from the scene
    /// file's `lighting` ranges.
    public enum LightingMode: String, CaseIterable, Sendable { case canonical, random }

    public var scene = "scenes/cars.json"
    public var out: String
    public var objects: Int
    /// Views per object for the train protocol (nil: the scene file's).
    public var views: Int?
    /// Frame height, and width when it differs (nil: the scene file's, square).
    public var resolution: Int?
    public var width: Int?
    /// Index of the first object.
    public var start = 0
    public var seed: UInt64 = 0
    public var viewProtocol = ViewProtocol.train
    public var supersample: Int?
    public var depth = false
    public var alpha = false
    /// View 0 of up to 32 objects (or all views of a single object) on one sheet.
    public var contactSheet: String?
    /// nil: random for the train protocol when the scene file has lighting ranges, else canonical
    /// (the test protocol keeps RIG.md's light unless asked).
    public var lighting: LightingMode?
    /// A JSON file of lighting ranges that replaces the scene file's (an out-of-domain light set).
    public var lightingRangesFile: String?
    /// Styles never drawn (a training set with one held out), or the only ones drawn (its test set).
    public var excludeStyles: [String] = []
    public var onlyStyles: [String] = []
    /// Also render every view as a photo in procedural surroundings (`photo/`), with the object's
    /// mask (`mask/`, its alpha without the shadow).
    public var backgrounds = false

    /// The lighting this run uses for `spec`.
    func lightingMode(_ spec: SceneSpec) -> LightingMode {
        lighting ?? (viewProtocol == .train && spec.lighting != nil ? .random : .canonical)
    }

    /// The styles objects may take (nil: all), checked against the scene file.
    func styles(_ spec: SceneSpec) throws -> Set<String>? {
        guard !excludeStyles.isEmpty || !onlyStyles.isEmpty else { return nil }
        for name in excludeStyles + onlyStyles where !spec.styles.contains(name) {
            throw FileError(
                path: scene, reason: "no style '\(name)' (the file has \(spec.styles.joined(separator: ", ")))")
        }
        let allowed = Set(onlyStyles.isEmpty ? spec.styles : onlyStyles).subtracting(excludeStyles)
        guard !allowed.isEmpty else { throw FileError(path: scene, reason: "the style options leave no style to draw") }
        return allowed
    }

    public init(out: String, objects: Int) {
        self.out = out
        self.objects = objects
    }
}

/// Renders multi-view datasets in the SRN layout of RIG.md from a procedural scene family.
public enum DatasetGeneration {
    public struct Summary {
        public var views: Int
        public var width: Int
        var height: Int
        public var seconds: Double
        public var settings: GenerationSettings

        /// The summary for `--json`, and as a sentence.
        public var fields: [String: Any] {
            var f: [String: Any] = [
                "out": settings.out, "objects": settings.objects, "views": views, "width": width, "height": height,
                "seconds": seconds,
            ]
            if let sheet = settings.contactSheet { f["contact_sheet"] = sheet }
            return f
        }

        public var summary: String {
            let rate = Double(settings.objects * views) / max(seconds, 1e-9)
            return String(
                format: "wrote %d objects x %d views at %dx%d to %@ in %.1f s (%.0f views/s)", settings.objects, views,
                width, height, settings.out, seconds, rate)
                + (settings.contactSheet.map { "\ncontact sheet: \($0)" } ?? "")
        }
    }

    /// Objects the contact sheet shows at most.
    static let sheetObjects = 32

    /// Writes every object of `settings`; `progress(done, total)` after each object.
    public static func run(_ settings: GenerationSettings, progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        var spec = try SceneSpec.load(settings.scene)
        if let file = settings.lightingRangesFile { spec.lighting = try SceneSpec.loadLightingRanges(file) }
        let allowedStyles = try settings.styles(spec)
        let height = settings.resolution ?? spec.views.resolution, width = settings.width ?? height
        let shading = ShadingSettings(spec: spec, supersample: settings.supersample ?? spec.views.supersample)
        let lightingMode = settings.lightingMode(spec)
        if lightingMode == .random && spec.lighting == nil {
            throw FileError(path: settings.scene, reason: "--lighting random needs the scene file's 'lighting' ranges")
        }
        try FileManager.default.createDirectory(atPath: settings.out, withIntermediateDirectories: true)
        let viewCount = settings.viewProtocol == .test ? Rig.testViews.count : (settings.views ?? spec.views.train)
        let generation = try fingerprint(settings, spec: spec, lighting: lightingMode, views: viewCount)
        try checkResumable(settings.out, generation: generation)
        var sheetImages: [RGBAImage] = []
        var styles: [String] = []
        let t0 = Date()
        func manifest(objects: Int) -> DatasetManifest {
            var m = DatasetManifest(
                scene: spec.name, sceneFile: settings.scene, seed: settings.seed,
                protocol: settings.viewProtocol.rawValue, objects: objects, views: viewCount, resolution: height,
                supersample: settings.supersample ?? spec.views.supersample, depth: settings.depth,
                styles: Dictionary(styles.map { ($0, 1) }, uniquingKeysWith: +))
            if width != height { m.width = width }
            m.generation = generation
            return m
        }
        for (done, index) in (settings.start..<(settings.start + settings.objects)).enumerated() {
            let id = String(format: "%@-s%llu-%05d", spec.name, settings.seed, index)
            let (object, style) = spec.makeObject(seed: settings.seed, index: index, styles: allowedStyles)
            styles.append(style)
            let final = "\(settings.out)/\(id)"
            // An object is rendered into a hidden folder and renamed when complete: an interrupted run
            // leaves no half object, and a rerun with the same settings skips the finished ones.
            if FileManager.default.fileExists(atPath: final + "/intrinsics.txt") {
                // A dataset made before attributes were recorded (or in other units) gets them from
                // a rerun: the object is drawn from the same seed, so they are its own; nothing is rendered.
                if !object.attributes.isEmpty && (try? AttributeFile.read(objectDir: final)) != object.attributes {
                    try AttributeFile.write(object.attributes, style: style, objectDir: final)
                }
                if settings.contactSheet != nil, sheetImages.count < (settings.objects == 1 ? viewCount : sheetObjects)
                {
                    for v in 0..<(settings.objects == 1 ? viewCount : 1) {
                        sheetImages.append(try PNG.read("\(final)/rgb/\(SRNDataset.viewName(v)).png").image)
                    }
                }
                progress?(done + 1, settings.objects)
                continue
            }
            let dir = "\(settings.out)/.\(id).partial"
            try? FileManager.default.removeItem(atPath: dir)
            for sub in ["rgb", "pose"] + (settings.depth ? ["depth"] : [])
                + (settings.backgrounds ? ["photo", "mask"] : [])
            {
                try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true)
            }
            let cameras = cameras(settings, spec: spec, index: index, count: viewCount, width: width, height: height)
            try SRNDataset.writeIntrinsics(cameras[0].intrinsics, objectDir: dir)
            let lights = lighting(lightingMode, spec: spec, seed: settings.seed, index: index, count: cameras.count)
            try writeLighting(lights, mode: lightingMode, objectDir: dir)
            if !object.attributes.isEmpty { try AttributeFile.write(object.attributes, style: style, objectDir: dir) }
            var rendered = [RGBAImage?](repeating: nil, count: cameras.count)
            var shown = [RGBAImage?](repeating: nil, count: cameras.count)  // what the contact sheet shows
            // One set of surroundings per object, standing on its wheels, from a stream of its own.
            var envRNG = SplitMix64(
                seed: (settings.seed ^ 0xB6C0_0000_0000_0000) &+ UInt64(index) &* 0x94D0_49BB_1331_11EB)
            let environment =
                settings.backgrounds ? Environment.random(groundZ: object.bounds.lo.z, rng: &envRNG) : nil
            var failure: Error? = nil
            let lock = NSLock()
            // Views render in parallel, one per core; each view is single-threaded and deterministic.
            DispatchQueue.concurrentPerform(iterations: cameras.count) { v in
                var lit = shading
                lit.lighting = lights[v]
                lit.environment = environment
                let view = GroundTruthRenderer(object: object, shading: lit).render(camera: cameras[v], parallel: false)
                do {
                    try SRNDataset.writeView(
                        objectDir: dir, index: v, image: view.image, camera: cameras[v],
                        depth: settings.depth ? view.depth : nil,
                        alpha: settings.alpha)
                    if let photo = view.photo {
                        let name = SRNDataset.viewName(v)
                        try PNG.write(photo, to: "\(dir)/photo/\(name).png")
                        try PNG.writeBytes(
                            (0..<(view.width * view.height)).map {
                                UInt8(max(0, min(255, (view.image.pixels[4 * $0 + 3] * 255).rounded())))
                            }, width: view.width, height: view.height, channels: 1, to: "\(dir)/mask/\(name).png")
                    }
                } catch {
                    lock.lock()
                    failure = failure ?? error
                    lock.unlock()
                }
                lock.lock()
                rendered[v] = view.image
                shown[v] = view.photo ?? view.image
                lock.unlock()
            }
            if let failure {
                try? FileManager.default.removeItem(atPath: dir)
                throw failure
            }
            if rendered.allSatisfy({ $0.map(isBlank) ?? true }) {
                try? FileManager.default.removeItem(atPath: dir)
                throw FileError(
                    path: settings.scene,
                    reason:
                        "object \(id) renders as plain background in all \(cameras.count) views (is the object outside the camera's view, or the rig's distance or fov off?)"
                )
            }
            guard rename(dir, final) == 0 else {
                throw FileError(
                    path: final, reason: "cannot move the finished object into place: \(FileErrors.systemReason(errno))"
                )
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try enc.encode(manifest(objects: done + 1)), to: "\(settings.out)/dataset.json")
            if settings.contactSheet != nil {
                if settings.objects == 1 {
                    sheetImages = shown.compactMap { $0 }
                } else if sheetImages.count < sheetObjects {
                    sheetImages.append(shown[0]!)
                }
            }
            progress?(done + 1, settings.objects)
        }
        let seconds = Date().timeIntervalSince(t0)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(manifest(objects: settings.objects)), to: "\(settings.out)/dataset.json")
        if let sheet = settings.contactSheet {
            try PNG.write(ContactSheet.make(sheetImages, columns: settings.objects == 1 ? 5 : 8), to: sheet)
        }
        return Summary(views: viewCount, width: width, height: height, seconds: seconds, settings: settings)
    }

    /// Whether an image is the plain white background everywhere (no object in view).
    static func isBlank(_ image: RGBAImage) -> Bool {
        for k in 0..<(image.width * image.height) {
            for c in 0..<3 where image.pixels[4 * k + c] < 0.98 { return false }
        }
        return true
    }

    /// The settings that decide the objects' files, as a SHA-256 (the scene file by its contents).
    static func fingerprint(
        _ settings: GenerationSettings, spec: SceneSpec, lighting: GenerationSettings.LightingMode, views: Int
    ) throws -> String {
        struct Key: Encodable {
            var scene: Data, seed: UInt64, protocolName: String, views: Int, width: Int?, height: Int?
            var supersample: Int?, depth: Bool, alpha: Bool, lighting: String, ranges: LightingRanges?
            var exclude: [String], only: [String]
            /// Only when set: the fingerprints of datasets without backgrounds stay as they were.
            var backgrounds: Bool?
        }
        let key = Key(
            scene: (try? Data(contentsOf: URL(fileURLWithPath: settings.scene))) ?? Data(), seed: settings.seed,
            protocolName: settings.viewProtocol.rawValue, views: views, width: settings.width,
            height: settings.resolution, supersample: settings.supersample, depth: settings.depth,
            alpha: settings.alpha, lighting: lighting.rawValue, ranges: spec.lighting,
            exclude: settings.excludeStyles, only: settings.onlyStyles, backgrounds: settings.backgrounds ? true : nil)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return Fingerprint.sha256Hex(try enc.encode(key))
    }

    /// A folder that already holds objects must be this run's (same fingerprint) to be resumed.
    static func checkResumable(_ out: String, generation: String) throws {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        let objects = entries.filter { FileManager.default.fileExists(atPath: "\(out)/\($0)/intrinsics.txt") }
        guard !objects.isEmpty else { return }
        guard let m = DatasetManifest.read(out) else {
            throw FileError(
                path: out,
                reason:
                    "holds \(objects.count) object folders but no dataset.json; remove them or choose another --out")
        }
        guard m.generation == generation else {
            throw FileError(
                path: out,
                reason:
                    "holds a dataset made with other settings (\(m.objects) objects, \(m.protocol) protocol, \(m.resolution) px); choose another --out or remove it"
            )
        }
    }

    /// The light of each view of object `index`, from a stream of its own (independent of the
    /// cameras', so switching lighting keeps the views).
    static func lighting(_ mode: GenerationSettings.LightingMode, spec: SceneSpec, seed: UInt64, index: Int, count: Int)
        -> [Lighting]
    {
        guard mode == .random, let ranges = spec.lighting else {
            return Array(repeating: .canonical(rig: spec.rig), count: count)
        }
        var rng = SplitMix64(seed: (seed ^ 0x11D7_5EED_0000_0000) &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9)
        return (0..<count).map { _ in Lighting.random(ranges, rng: &rng) }
    }

    /// lighting.json of an object: the mode and each view's light, in view order.
    static func writeLighting(_ lights: [Lighting], mode: GenerationSettings.LightingMode, objectDir: String) throws {
        struct File: Codable {
            var mode: String
            var views: [Lighting]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(try enc.encode(File(mode: mode.rawValue, views: lights)), to: "\(objectDir)/lighting.json")
    }

    /// The cameras of object `index`: the test protocol, or random rig views from the object's stream.
    static func cameras(
        _ settings: GenerationSettings, spec: SceneSpec, index: Int, count: Int, width: Int, height: Int
    ) -> [Camera] {
        let rig = spec.rig
        if settings.viewProtocol == .test {
            return Rig.testViews.map {
                Rig.camera(
                    azimuth: $0.azimuth, elevation: $0.elevation, distance: rig.distance, fovDegrees: rig.fovDegrees,
                    width: width,
                    height: height)
            }
        }
        var rng = SplitMix64(seed: (settings.seed ^ 0x5EED_CA3E_7A5E_0000) &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        return (0..<count).map { _ in
            let az = rig.azimuthRange.lo + (rig.azimuthRange.hi - rig.azimuthRange.lo) * rng.nextDouble()
            let el = rig.elevationRange.lo + (rig.elevationRange.hi - rig.elevationRange.lo) * rng.nextDouble()
            return Rig.camera(
                azimuth: az, elevation: el, distance: rig.distance, fovDegrees: rig.fovDegrees, width: width,
                height: height)
        }
    }
}
