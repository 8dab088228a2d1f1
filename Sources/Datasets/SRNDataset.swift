import FileIO
import Foundation
import Geometry
import Imaging

/// The ShapeNet-SRN layout of ../shared/RIG.md, as pixelNeRF reads it:
///
///     <root>/<object>/rgb/000000.png      8-bit RGB(A), white background
///     <root>/<object>/pose/000000.txt     4x4 camera-to-world, row-major, OpenCV axes
///     <root>/<object>/intrinsics.txt      "f cx cy 0." / "0. 0. 0." / "1." / "H W"
///     <root>/<object>/depth/000000.png    optional, 16-bit camera-z * 10000, 0 = background
public enum SRNDataset {
    /// Depth PNG values are camera-z times this.
    static let depthScale: Float = 10000

    public static func viewName(_ k: Int) -> String { String(format: "%06d", k) }

    /// Writes intrinsics.txt for an object folder (atomically).
    public static func writeIntrinsics(_ k: Intrinsics, objectDir: String) throws {
        let text = String(format: "%.6f %.6f %.6f 0.\n0. 0. 0.\n1.\n%d %d\n", k.focal, k.cx, k.cy, k.height, k.width)
        try AtomicFile.write(Data(text.utf8), to: objectDir + "/intrinsics.txt")
    }

    /// Writes one view: rgb PNG, pose text and optionally a 16-bit depth PNG.
    public static func writeView(
        objectDir: String, index: Int, image: RGBAImage, camera: Camera,
        depth: [Float]?, alpha: Bool
    ) throws {
        let name = viewName(index)
        try PNG.write(image, to: "\(objectDir)/rgb/\(name).png", alpha: alpha)
        let m = camera.cameraToWorld
        var text = ""
        for r in 0..<4 { text += (0..<4).map { String(format: "%.9f", m[r * 4 + $0]) }.joined(separator: " ") + "\n" }
        try AtomicFile.write(Data(text.utf8), to: "\(objectDir)/pose/\(name).txt")
        if let depth {
            let q = depth.map { UInt16(min(65535, max(0, ($0 * depthScale).rounded()))) }
            try PNG.writeGray16(q, width: image.width, height: image.height, to: "\(objectDir)/depth/\(name).png")
        }
    }

    /// Object folders under a root (those holding intrinsics.txt), sorted.
    public static func objectIDs(root: String) throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            throw FileError(path: root, reason: "cannot list the dataset folder (does it exist?)")
        }
        // (Hidden folders are objects still being written: see `MultiViewDataset.objectIDs`.)
        return entries.filter {
            !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(root)/\($0)/intrinsics.txt")
        }
        .sorted()
    }

    /// Numbers in a text file, with the line each came from; non-numbers are errors naming the line.
    static func numbers(in path: String) throws -> [(value: Double, line: Int)] {
        let data = try ReadFile.data(path, limit: 1 << 20, what: "pose or intrinsics file")
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError(path: path, reason: "not UTF-8 text")
        }
        var out: [(Double, Int)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }) {
                guard let v = Double(token), v.isFinite else {
                    throw FileError(path: path, reason: "line \(i + 1): '\(token.prefix(40))' is not a finite number")
                }
                out.append((v, i + 1))
            }
        }
        return out
    }

    /// Reads a 4x4 camera-to-world pose written on one line or on four.
    public static func readPose(_ path: String) throws -> [Double] {
        let values = try numbers(in: path)
        guard values.count == 16 else {
            throw FileError(path: path, reason: "expected 16 numbers (a 4x4 matrix), found \(values.count)")
        }
        let m = values.map(\.value)
        // A camera must stand somewhere outside the object and within reach of it.
        let distance = (m[3] * m[3] + m[7] * m[7] + m[11] * m[11]).squareRoot()
        guard distance >= minCameraDistance, distance <= maxCameraDistance else {
            throw FileError(
                path: path,
                reason: String(
                    format: "the camera is %g units from the origin; expected %g to %g (is this a pose?)", distance,
                    minCameraDistance, maxCameraDistance))
        }
        // The rotation block must be orthonormal (within text precision) for rays to make sense.
        for c in 0..<3 {
            let n = (0..<3).reduce(0.0) { $0 + m[$1 * 4 + c] * m[$1 * 4 + c] }
            guard abs(n - 1) < 1e-3 else {
                throw FileError(
                    path: path,
                    reason:
                        "line \(values[c].line): rotation column \(c) has length \(String(format: "%.4f", n.squareRoot())), not 1"
                )
            }
        }
        return m
    }

    /// Plausible distances of a camera from the origin, in the world units where objects fill
    /// [-1, 1]³ (SRN stores ~1.3 for srn_cars, nerfinv's rig 3): a camera at the origin or light
    /// years away is a broken file.
    static let minCameraDistance = 0.05, maxCameraDistance = 1e4
    /// The largest image size an intrinsics file may state.
    static let maxStatedSide = 16384.0

    /// Reads intrinsics.txt; focal and principal point are rescaled to the actual image size (as
    /// pixelNeRF does for srn_cars, whose intrinsics are stated for 512x512 images).
    public static func readIntrinsics(_ path: String, imageWidth: Int, imageHeight: Int) throws -> Intrinsics {
        let values = try numbers(in: path)
        let first = values.filter { $0.line == values.first?.line }
        guard first.count >= 3 else { throw FileError(path: path, reason: "line 1 must hold 'f cx cy'") }
        let f = first[0].value, cx = first[1].value, cy = first[2].value
        guard f > 0 else { throw FileError(path: path, reason: "line \(first[0].line): focal length must be positive") }
        let lastLine = values.last!.line
        let last = values.filter { $0.line == lastLine }
        var h = Double(imageHeight), w = Double(imageWidth)
        if lastLine != first[0].line, last.count == 2, last[0].value >= 1, last[1].value >= 1 {
            h = last[0].value
            w = last[1].value
        }
        guard w <= maxStatedSide, h <= maxStatedSide else {
            throw FileError(
                path: path,
                reason: "line \(lastLine): an image of \(w)x\(h) pixels; at most \(Int(maxStatedSide)) a side")
        }
        // Field of view between ~0.6° and ~170° of the stated width; principal point near the image.
        guard f >= 0.01 * w, f <= 100 * w else {
            throw FileError(
                path: path,
                reason:
                    "line \(first[0].line): focal length \(f) for a \(Int(w))-pixel-wide image (expected \(0.01 * w)...\(100 * w))"
            )
        }
        guard abs(cx) <= 2 * w, abs(cy) <= 2 * h else {
            throw FileError(
                path: path, reason: "line \(first[0].line): principal point (\(cx), \(cy)) lies far outside the image")
        }
        let k = Intrinsics(focal: f, cx: cx, cy: cy, width: Int(w.rounded()), height: Int(h.rounded()))
        return k.width == imageWidth && k.height == imageHeight ? k : k.resized(width: imageWidth, height: imageHeight)
    }

    /// Loads every view of one object folder.
    public static func loadObject(_ dir: String, withDepth: Bool = true) throws -> MultiViewObject {
        let rgbDir = dir + "/rgb"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: rgbDir) else {
            throw FileError(path: rgbDir, reason: "missing rgb folder")
        }
        let pngs = names.filter { $0.lowercased().hasSuffix(".png") }.sorted()
        guard !pngs.isEmpty else { throw FileError(path: rgbDir, reason: "no PNG views") }
        var views: [PosedView] = []
        var intrinsics: Intrinsics? = nil
        for file in pngs {
            let stem = String(file.dropLast(4))
            let image = try PNG.read("\(rgbDir)/\(file)").image.overWhite()
            if intrinsics == nil || intrinsics!.width != image.width || intrinsics!.height != image.height {
                intrinsics = try readIntrinsics(
                    dir + "/intrinsics.txt", imageWidth: image.width, imageHeight: image.height)
            }
            let pose = try readPose("\(dir)/pose/\(stem).txt")
            var depth: [Float]? = nil
            let depthPath = "\(dir)/depth/\(stem).png"
            if withDepth, FileManager.default.fileExists(atPath: depthPath) {
                let d = try PNG.read(depthPath).image
                guard d.width == image.width, d.height == image.height else {
                    throw FileError(
                        path: depthPath,
                        reason: "depth is \(d.width)x\(d.height), the view \(image.width)x\(image.height)")
                }
                depth = (0..<(d.width * d.height)).map { (d.pixels[$0 * 4] * 65535).rounded() / depthScale }
            }
            views.append(
                PosedView(
                    image: image, camera: Camera(intrinsics: intrinsics!, cameraToWorld: pose), depth: depth, name: stem
                ))
        }
        return MultiViewObject(id: URL(fileURLWithPath: dir).lastPathComponent, views: views)
    }
}
