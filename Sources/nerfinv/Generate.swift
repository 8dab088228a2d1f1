import ArgumentParser
import Datasets
import FileIO
import Foundation
import Geometry
import ImageIO
import NeuralCore
import Scenes

/// `nerfinv generate`: multi-view datasets in the ShapeNet-SRN layout from a scene family file.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a multi-view dataset (ShapeNet-SRN layout) from a procedural scene family.",
        discussion: """
        Examples:
          nerfinv generate --scene scenes/cars.json --out data/cars_train --objects 1000 --views 50 --seed 1
          nerfinv generate --scene scenes/cars.json --out data/cars_test --objects 100 --protocol test --seed 2 --contact-sheet test.png
        Object ids name the seed (cars-s1-00042): use different seeds for training and test sets.
        The same seed always gives byte-identical files.
        """
    )

    enum ProtocolKind: String, ExpressibleByArgument, CaseIterable { case train, test }

    @Option(help: "Scene family file (JSON).")
    var scene: String = "scenes/cars.json"

    @Option(help: "Output folder (created if missing; existing objects with the same ids are overwritten, nothing else is touched).")
    var out: String

    @Option(help: "Number of objects.")
    var objects: Int

    @Option(help: "Views per object for --protocol train (default: the scene file's).")
    var views: Int?

    @Option(help: "Image size in pixels, square (default: the scene file's).")
    var resolution: Int?

    @Option(help: "Image width when it should differ from the height (--resolution): a wider or narrower frame, same vertical field of view.")
    var width: Int?

    @Option(help: "Index of the first object (objects start..start+objects-1), to extend a set or split work.")
    var start: Int = 0

    @Option(help: "Random seed: fixes the objects and the views.")
    var seed: UInt64 = 0

    @Option(help: "train: random views (azimuth 0-360, elevation per the rig); test: the fixed 25-view protocol (view 0 = input).")
    var `protocol`: ProtocolKind = .train

    @Option(help: "Rays per pixel side for anti-aliasing (default: the scene file's).")
    var supersample: Int?

    @Flag(help: "Also write 16-bit depth PNGs (camera-z x 10000, 0 = background).")
    var depth = false

    @Flag(help: "Write RGBA PNGs (alpha = coverage) instead of RGB.")
    var alpha = false

    @Option(help: "Also write a contact sheet PNG: view 0 of up to 32 objects (or, with one object, all its views).")
    var contactSheet: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard objects >= 1, objects <= 1_000_000 else { throw ValidationError("--objects must be in 1...1000000") }
        guard start >= 0, start <= 10_000_000 else { throw ValidationError("--start must be in 0...10000000") }
        if let views, views < 1 || views > 10000 { throw ValidationError("--views must be in 1...10000") }
        if let resolution, resolution < 8 || resolution > 4096 { throw ValidationError("--resolution must be in 8...4096") }
        if let width, width < 8 || width > 4096 { throw ValidationError("--width must be in 8...4096") }
        if let supersample, supersample < 1 || supersample > 8 { throw ValidationError("--supersample must be in 1...8") }
        if `protocol` == .test, views != nil { throw ValidationError("--views applies to --protocol train; the test protocol has 25 views") }
    }

    func run() throws {
        let spec = try SceneSpec.load(scene)
        let res = resolution ?? spec.views.resolution
        let frameWidth = width ?? res
        let shading = ShadingSettings(rig: spec.rig, supersample: supersample ?? spec.views.supersample)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let viewCount = `protocol` == .test ? Rig.testViews.count : (views ?? spec.views.train)
        let bar = ProgressBar(total: objects, label: "generate", unit: "objects", quiet: output.silent, logOffTerminal: true)
        var sheetImages: [RGBAImage] = []
        var styles: [String] = []
        let t0 = Date()
        for (done, index) in (start..<(start + objects)).enumerated() {
            let id = String(format: "%@-s%llu-%05d", spec.name, seed, index)
            let (object, style) = spec.makeObject(seed: seed, index: index)
            styles.append(style)
            let dir = "\(out)/\(id)"
            for sub in ["rgb", "pose"] + (depth ? ["depth"] : []) {
                try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true)
            }
            let cameras = cameras(spec: spec, index: index, count: viewCount, width: frameWidth, height: res)
            try SRNDataset.writeIntrinsics(cameras[0].intrinsics, objectDir: dir)
            let renderer = GroundTruthRenderer(object: object, shading: shading)
            var rendered = [RGBAImage?](repeating: nil, count: cameras.count)
            var failure: Error? = nil
            let lock = NSLock()
            // Views render in parallel, one per core; each view is single-threaded and deterministic.
            DispatchQueue.concurrentPerform(iterations: cameras.count) { v in
                let view = renderer.render(camera: cameras[v], parallel: false)
                do {
                    try SRNDataset.writeView(objectDir: dir, index: v, image: view.image, camera: cameras[v],
                                             depth: depth ? view.depth : nil, alpha: alpha)
                } catch { lock.lock(); failure = failure ?? error; lock.unlock() }
                lock.lock(); rendered[v] = view.image; lock.unlock()
            }
            if let failure { throw failure }
            if contactSheet != nil {
                if objects == 1 { sheetImages = rendered.compactMap { $0 } } else if sheetImages.count < 32 { sheetImages.append(rendered[0]!) }
            }
            bar.update(done + 1)
        }
        let seconds = Date().timeIntervalSince(t0)
        try writeManifest(spec: spec, width: frameWidth, height: res, viewCount: viewCount, styles: styles, seconds: seconds)
        if let contactSheet {
            let sheet = ContactSheet.make(sheetImages, columns: objects == 1 ? 5 : 8)
            try PNG.write(sheet, to: contactSheet)
        }
        var fields: [String: Any] = ["out": out, "objects": objects, "views": viewCount, "width": frameWidth, "height": res, "seconds": seconds]
        if let contactSheet { fields["contact_sheet"] = contactSheet }
        output.report(fields, String(format: "wrote %d objects x %d views at %dx%d to %@ in %.1f s (%.0f views/s)", objects, viewCount, frameWidth, res, out,
                                     seconds, Double(objects * viewCount) / max(seconds, 1e-9))
                      + (contactSheet.map { "\ncontact sheet: \($0)" } ?? ""))
    }

    /// The cameras of object `index`: the test protocol, or random rig views from the object's stream.
    func cameras(spec: SceneSpec, index: Int, count: Int, width: Int, height: Int) -> [Camera] {
        let rig = spec.rig
        if `protocol` == .test {
            return Rig.testViews.map {
                Rig.camera(azimuth: $0.azimuth, elevation: $0.elevation, distance: rig.distance, fovDegrees: rig.fovDegrees,
                           width: width, height: height)
            }
        }
        var rng = SplitMix64(seed: (seed ^ 0x5EED_CA3E_7A5E_0000) &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        return (0..<count).map { _ in
            let az = rig.azimuthRange.lo + (rig.azimuthRange.hi - rig.azimuthRange.lo) * rng.nextDouble()
            let el = rig.elevationRange.lo + (rig.elevationRange.hi - rig.elevationRange.lo) * rng.nextDouble()
            return Rig.camera(azimuth: az, elevation: el, distance: rig.distance, fovDegrees: rig.fovDegrees,
                              width: width, height: height)
        }
    }

    typealias Manifest = DatasetManifest

    func writeManifest(spec: SceneSpec, width: Int, height: Int, viewCount: Int, styles: [String], seconds: Double) throws {
        let counts = Dictionary(styles.map { ($0, 1) }, uniquingKeysWith: +)
        var m = Manifest(scene: spec.name, sceneFile: scene, seed: seed, protocol: `protocol`.rawValue, objects: objects, views: viewCount,
                         resolution: height, supersample: supersample ?? spec.views.supersample, depth: depth, styles: counts)
        if width != height { m.width = width }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(m), to: "\(out)/dataset.json")
    }
}
