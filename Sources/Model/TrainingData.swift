import Datasets
import Foundation
import Geometry
import ImageIO
import NeuralCore

/// A multi-view dataset held in memory for training: 8-bit pixels and cameras per view.
/// O objects, V views each, H W image size.
public final class TrainingData {
    public struct View {
        public var pixels: [UInt8]   // (H, W, 3) sRGB over white
        public var camera: Camera
        public init(pixels: [UInt8], camera: Camera) { self.pixels = pixels; self.camera = camera }
        /// From a float image (alpha dropped; composite first if it matters).
        public init(image: RGBAImage, camera: Camera) {
            var px = [UInt8](repeating: 0, count: image.width * image.height * 3)
            for i in 0..<(image.width * image.height) {
                for c in 0..<3 { px[3 * i + c] = UInt8(min(255, max(0, image.pixels[4 * i + c] * 255 + 0.5))) }
            }
            self.init(pixels: px, camera: camera)
        }
    }

    /// Draws a uniformly random pixel of a random view (view, then column, then row from `rng`) and
    /// writes its ray and colour at slot r of origins (R, 3), directions (R, 3) and targets (R, 3).
    public static func drawRay(from views: [View], width: Int, height: Int, rng: inout SplitMix64, slot r: Int,
                               origins: UnsafeMutablePointer<Float>, directions: UnsafeMutablePointer<Float>,
                               targets: UnsafeMutablePointer<Float>) {
        let v = views[rng.nextInt(views.count)]
        let i = rng.nextInt(width), j = rng.nextInt(height)
        let ray = v.camera.ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
        for k in 0..<3 {
            origins[3 * r + k] = Float(ray.origin[k])
            directions[3 * r + k] = Float(ray.direction[k])
            targets[3 * r + k] = Float(v.pixels[(j * width + i) * 3 + k]) / 255
        }
    }
    public let ids: [String]
    public let objects: [[View]]
    public let width: Int
    public let height: Int

    /// The rig of the data as its cameras show it: mean distance from the origin and vertical FOV.
    public var cameraDistance: Double {
        let all = objects.flatMap { $0 }
        return all.map { ($0.camera.position * $0.camera.position).sum().squareRoot() }.reduce(0, +) / Double(max(1, all.count))
    }
    public var fovDegrees: Double {
        let k = objects[0][0].camera.intrinsics
        return 2 * atan(Double(k.height) / 2 / k.focal) * 180 / .pi
    }

    public init(ids: [String], objects: [[View]], width: Int, height: Int) {
        self.ids = ids; self.objects = objects; self.width = width; self.height = height
    }

    /// Loads every object of an SRN-layout folder (objects in parallel); `progress(done, total)`.
    public static func load(root: String, limit: Int? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> TrainingData {
        var ids = try MultiViewDataset.objectIDs(root: root)
        if let limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else { throw FileError(path: root, reason: "no objects (folders with intrinsics.txt or transforms_train.json) in the dataset") }
        var objects = [[View]?](repeating: nil, count: ids.count)
        var failure: Error? = nil
        let lock = NSLock()
        var done = 0
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in
            do {
                let o = try MultiViewDataset.loadObject("\(root)/\(ids[i])")
                let views = o.views.map { View(image: $0.image, camera: $0.camera) }
                lock.lock(); objects[i] = views; done += 1; let d = done; lock.unlock()
                progress?(d, ids.count)
            } catch { lock.lock(); failure = failure ?? error; lock.unlock() }
        }
        if let failure { throw failure }
        let first = objects[0]![0].camera.intrinsics
        for (i, views) in objects.enumerated() {
            for v in views! where v.camera.intrinsics.width != first.width || v.camera.intrinsics.height != first.height {
                throw FileError(path: "\(root)/\(ids[i])", reason: "views of different sizes (\(v.camera.intrinsics.width)x\(v.camera.intrinsics.height) vs \(first.width)x\(first.height))")
            }
        }
        return TrainingData(ids: ids, objects: objects.map { $0! }, width: first.width, height: first.height)
    }
}
