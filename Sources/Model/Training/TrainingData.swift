import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import NeuralCore

// O objects, V_o views of object o, H W view size, R rays of a batch.

/// A multi-view dataset for training: each view's camera, and its 8-bit pixels in a `ViewStore`
/// (memory-mapped when loaded from disk), read a ray at a time by the batches.
public final class TrainingData {
    /// One view in memory: the way to build a small dataset by hand.
    public struct View {
        public var pixels: [UInt8]  // (H, W, 3) sRGB over white
        public var camera: Camera
        public var light: ViewLight
        public init(pixels: [UInt8], camera: Camera, light: ViewLight = .canonical) {
            self.pixels = pixels
            self.camera = camera
            self.light = light
        }
        /// From a float image (alpha dropped; composite first if it matters).
        public init(image: RGBAImage, camera: Camera, light: ViewLight = .canonical) {
            self.init(pixels: TrainingData.bytes(of: image), camera: camera, light: light)
        }
    }

    public let ids: [String]
    public let width: Int
    public let height: Int
    /// Each object's cameras.
    let cameras: [[Camera]]  // (O, V_o)
    /// Each view's light (lighting.json beside the views; the canonical light where there is none).
    public let lights: [[ViewLight]]  // (O, V_o)
    /// Each view's object box: the pixels that differ from the white background, as
    /// (x0, y0, x1, y1) inclusive, grown by `boxMargin`; the whole view when it is all background.
    let boxes: [[SIMD4<Int32>]]  // (O, V_o)
    /// Pixels added around a view's object box: the silhouette's edge and what lies just outside it
    /// belong to the object's rays.
    static let boxMargin = 2
    /// A channel below this (of 255) is not background.
    static let backgroundThreshold: UInt8 = 250
    let store: ViewStore
    let offsets: [Int]  // (O) first byte of each object's views in the store

    public var count: Int { ids.count }
    func viewCount(_ o: Int) -> Int { cameras[o].count }
    var viewBytes: Int { width * height * 3 }

    /// The pixels (H, W, 3) of view v of object o.
    public func pixels(object o: Int, view v: Int) -> UnsafePointer<UInt8> {
        UnsafePointer(store.base + offsets[o] + v * viewBytes)
    }

    /// Views held in memory.
    public convenience init(ids: [String], objects: [[View]], width: Int, height: Int) {
        let bytes = width * height * 3
        let store = ViewStore(inMemory: objects.reduce(0) { $0 + $1.count } * bytes)
        var offsets: [Int] = [], cursor = 0
        for views in objects {
            offsets.append(cursor)
            for v in views {
                precondition(
                    v.pixels.count == bytes, "a view of \(v.pixels.count) bytes in a \(width)x\(height) dataset")
                v.pixels.withUnsafeBufferPointer { (store.base + cursor).update(from: $0.baseAddress!, count: bytes) }
                cursor += bytes
            }
        }
        self.init(
            ids: ids, cameras: objects.map { $0.map(\.camera) }, lights: objects.map { $0.map(\.light) }, store: store,
            offsets: offsets, width: width, height: height)
    }

    init(
        ids: [String], cameras: [[Camera]], lights: [[ViewLight]], store: ViewStore, offsets: [Int], width: Int,
        height: Int
    ) {
        self.ids = ids
        self.cameras = cameras
        self.lights = lights
        boxes = offsets.indices.map { o in
            (0..<cameras[o].count).map { v in
                Self.objectBox(
                    UnsafePointer(store.base + offsets[o] + v * width * height * 3), width: width, height: height)
            }
        }
        self.store = store
        self.offsets = offsets
        self.width = width
        self.height = height
    }

    /// The box of pixels (H, W, 3) that differ from white, grown by `boxMargin` and clipped.
    static func objectBox(_ px: UnsafePointer<UInt8>, width W: Int, height H: Int) -> SIMD4<Int32> {
        var x0 = W, y0 = H, x1 = -1, y1 = -1
        for y in 0..<H {
            for x in 0..<W {
                let p = px + (y * W + x) * 3
                if p[0] < backgroundThreshold || p[1] < backgroundThreshold || p[2] < backgroundThreshold {
                    x0 = min(x0, x)
                    x1 = max(x1, x)
                    y0 = min(y0, y)
                    y1 = max(y1, y)
                }
            }
        }
        guard x1 >= 0 else { return SIMD4(0, 0, Int32(W - 1), Int32(H - 1)) }
        let m = boxMargin
        return SIMD4(Int32(max(0, x0 - m)), Int32(max(0, y0 - m)), Int32(min(W - 1, x1 + m)), Int32(min(H - 1, y1 + m)))
    }

    /// 8-bit sRGB (H, W, 3) of a float image, rounded.
    static func bytes(of image: RGBAImage) -> [UInt8] {
        var px = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for i in 0..<(image.width * image.height) {
            for c in 0..<3 { px[3 * i + c] = UInt8(min(255, max(0, image.pixels[4 * i + c] * 255 + 0.5))) }
        }
        return px
    }

    /// Draws a uniformly random pixel of a random view of object o (view, then column, then row
    /// from `rng`; with `inBox`, of the view's object box), skipping view `excluding` when the object
    /// has others, and writes its ray, colour and light at slot r of `rays`.
    func drawRay(
        object o: Int, excluding: Int? = nil, inBox: Bool = false, rng: inout SplitMix64, slot r: Int,
        into rays: inout RayBatch
    ) {
        let n = viewCount(o)
        var v: Int
        if let excluding, n > 1 {
            v = rng.nextInt(n - 1)
            if v >= excluding { v += 1 }
        } else {
            v = rng.nextInt(n)
        }
        let i: Int, j: Int
        if inBox {
            let b = boxes[o][v]
            i = Int(b[0]) + rng.nextInt(Int(b[2] - b[0]) + 1)
            j = Int(b[1]) + rng.nextInt(Int(b[3] - b[1]) + 1)
        } else {
            i = rng.nextInt(width)
            j = rng.nextInt(height)
        }
        let ray = cameras[o][v].ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
        let px = pixels(object: o, view: v)
        rays.setLight(lights[o][v], ray: r)
        for k in 0..<3 {
            rays.origins[3 * r + k] = Float(ray.origin[k])
            rays.directions[3 * r + k] = Float(ray.direction[k])
            rays.targets[3 * r + k] = Float(px[(j * width + i) * 3 + k]) / 255
        }
    }

    /// The rig of the data as its cameras show it: mean distance from the origin and vertical FOV.
    public var cameraDistance: Double {
        let all = cameras.flatMap { $0 }
        return all.map { ($0.position * $0.position).sum().squareRoot() }.reduce(0, +) / Double(max(1, all.count))
    }
    public var fovDegrees: Double {
        let k = cameras[0][0].intrinsics
        return 2 * atan(Double(k.height) / 2 / k.focal) * 180 / .pi
    }

    /// Loads every object of a dataset folder (objects in parallel) into a memory-mapped store in
    /// `scratch` (default: the system's temporary folder); `progress(done, total)`.
    public static func load(
        root: String, limit: Int? = nil, scratch: String? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws
        -> TrainingData
    {
        var ids = try MultiViewDataset.objectIDs(root: root)
        if let limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else {
            throw FileError(
                path: root, reason: "no objects (folders with intrinsics.txt or transforms_train.json) in the dataset")
        }
        let writer = try ViewStore.Writer(directory: scratch ?? FileManager.default.temporaryDirectory.path)
        var cameras = [[Camera]](repeating: [], count: ids.count)
        var lights = [[ViewLight]](repeating: [], count: ids.count)
        var offsets = [Int](repeating: 0, count: ids.count)
        var failure: Error? = nil
        let lock = NSLock()
        var done = 0
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in
            do {
                let object = try MultiViewDataset.loadObject("\(root)/\(ids[i])")
                guard !object.views.isEmpty else { throw FileError(path: "\(root)/\(ids[i])", reason: "no views") }
                let k = object.views[0].camera.intrinsics
                for view in object.views
                where view.camera.intrinsics.width != k.width || view.camera.intrinsics.height != k.height {
                    throw FileError(
                        path: "\(root)/\(ids[i])",
                        reason:
                            "views of different sizes (\(view.camera.intrinsics.width)x\(view.camera.intrinsics.height) vs \(k.width)x\(k.height))"
                    )
                }
                let viewLights =
                    try ViewLight.load(objectFolder: "\(root)/\(ids[i])", views: object.views.count)
                    ?? Array(repeating: .canonical, count: object.views.count)
                let px = object.views.flatMap { bytes(of: $0.image) }
                let offset = try px.withUnsafeBytes { try writer.append($0) }
                lock.lock()
                cameras[i] = object.views.map(\.camera)
                lights[i] = viewLights
                offsets[i] = offset
                done += 1
                let d = done
                lock.unlock()
                progress?(d, ids.count)
            } catch {
                lock.lock()
                failure = failure ?? error
                lock.unlock()
            }
        }
        if let failure { throw failure }
        let k = cameras[0][0].intrinsics, W = k.width, H = k.height
        for (i, c) in cameras.enumerated() where c[0].intrinsics.width != W || c[0].intrinsics.height != H {
            throw FileError(
                path: "\(root)/\(ids[i])",
                reason: "views of different sizes (\(c[0].intrinsics.width)x\(c[0].intrinsics.height) vs \(W)x\(H))")
        }
        let store = try writer.finish()
        return TrainingData(
            ids: ids, cameras: cameras, lights: lights, store: store, offsets: offsets, width: W, height: H)
    }
}
