import Datasets
import FileIO
import Foundation
import Geometry
import ImageIO
import NeuralCore

// O objects, V_o views of object o, H W view size, R rays of a batch.

/// A multi-view dataset for training: each view's camera, and its 8-bit pixels in a `ViewStore`
/// (memory-mapped when loaded from disk), read a ray at a time by the batches.
public final class TrainingData {
    /// One view in memory: the way to build a small dataset by hand.
    public struct View {
        public var pixels: [UInt8]  // (H, W, 3) sRGB over white
        public var camera: Camera
        public init(pixels: [UInt8], camera: Camera) {
            self.pixels = pixels
            self.camera = camera
        }
        /// From a float image (alpha dropped; composite first if it matters).
        public init(image: RGBAImage, camera: Camera) {
            self.init(pixels: TrainingData.bytes(of: image), camera: camera)
        }
    }

    public let ids: [String]
    public let width: Int
    public let height: Int
    /// Each object's cameras.
    public let cameras: [[Camera]]  // (O, V_o)
    let store: ViewStore
    let offsets: [Int]  // (O) first byte of each object's views in the store

    public var count: Int { ids.count }
    public func viewCount(_ o: Int) -> Int { cameras[o].count }
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
            ids: ids, cameras: objects.map { $0.map(\.camera) }, store: store, offsets: offsets, width: width,
            height: height)
    }

    init(ids: [String], cameras: [[Camera]], store: ViewStore, offsets: [Int], width: Int, height: Int) {
        self.ids = ids
        self.cameras = cameras
        self.store = store
        self.offsets = offsets
        self.width = width
        self.height = height
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
    /// from `rng`), skipping view `excluding` when the object has others, and writes its ray and
    /// colour at slot r of `rays`.
    public func drawRay(
        object o: Int, excluding: Int? = nil, rng: inout SplitMix64, slot r: Int, into rays: inout RayBatch
    ) {
        let n = viewCount(o)
        var v: Int
        if let excluding, n > 1 {
            v = rng.nextInt(n - 1)
            if v >= excluding { v += 1 }
        } else {
            v = rng.nextInt(n)
        }
        let i = rng.nextInt(width), j = rng.nextInt(height)
        let ray = cameras[o][v].ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
        let px = pixels(object: o, view: v)
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
                let px = object.views.flatMap { bytes(of: $0.image) }
                let offset = try px.withUnsafeBytes { try writer.append($0) }
                lock.lock()
                cameras[i] = object.views.map(\.camera)
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
        return TrainingData(ids: ids, cameras: cameras, store: store, offsets: offsets, width: W, height: H)
    }
}
