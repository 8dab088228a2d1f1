import FileIO
import Foundation
import Geometry
import Imaging

/// NeRF-synthetic scenes (transforms_<split>.json beside train/ val/ test/ folders): OpenGL camera
/// axes (+x right, +y up, +z backwards) and a horizontal field of view, converted on load to the
/// internal OpenCV convention.
public enum NerfSyntheticDataset {
    struct Transforms: Decodable {
        var cameraAngleX: Double
        var frames: [Frame]
        struct Frame: Decodable {
            var filePath: String
            var transformMatrix: [[Double]]
        }
    }

    /// OpenGL camera-to-world to OpenCV: flip the camera's y and z axes (columns 1 and 2).
    public static func openCVFromOpenGL(_ m: [Double]) -> [Double] {
        var out = m
        for r in 0..<4 {
            out[r * 4 + 1] = -m[r * 4 + 1]
            out[r * 4 + 2] = -m[r * 4 + 2]
        }
        return out
    }

    /// Loads the views of one split ("train", "val", "test") of a scene folder.
    public static func load(_ dir: String, split: String = "train", maxViews: Int? = nil) throws -> MultiViewObject {
        let path = "\(dir)/transforms_\(split).json"
        let data = try ReadFile.data(path, limit: 64 << 20, what: "transforms file")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let t: Transforms
        do { t = try decoder.decode(Transforms.self, from: data) } catch {
            throw FileError(path: path, reason: "not a NeRF-synthetic transforms file: \(error)")
        }
        guard t.cameraAngleX > 0, t.cameraAngleX < .pi else {
            throw FileError(path: path, reason: "camera_angle_x must lie in (0, pi)")
        }
        var views: [PosedView] = []
        for (i, frame) in t.frames.prefix(maxViews ?? t.frames.count).enumerated() {
            let rows = frame.transformMatrix
            guard rows.count == 4, rows.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isFinite) }) else {
                throw FileError(path: path, reason: "frame \(i): transform_matrix must be 4x4 finite numbers")
            }
            let distance = (rows[0][3] * rows[0][3] + rows[1][3] * rows[1][3] + rows[2][3] * rows[2][3]).squareRoot()
            guard distance >= SRNDataset.minCameraDistance, distance <= SRNDataset.maxCameraDistance else {
                throw FileError(
                    path: path,
                    reason:
                        "frame \(i): the camera is \(distance) units from the origin; expected \(SRNDataset.minCameraDistance) to \(SRNDataset.maxCameraDistance)"
                )
            }
            var file = frame.filePath
            if file.hasPrefix("./") { file.removeFirst(2) }
            if !file.lowercased().hasSuffix(".png") { file += ".png" }
            let image = try PNG.read("\(dir)/\(file)").image.overWhite()
            let focal = 0.5 * Double(image.width) / tan(0.5 * t.cameraAngleX)
            let k = Intrinsics(
                focal: focal, cx: Double(image.width) / 2, cy: Double(image.height) / 2, width: image.width,
                height: image.height)
            views.append(
                PosedView(
                    image: image, camera: Camera(intrinsics: k, cameraToWorld: openCVFromOpenGL(rows.flatMap { $0 })),
                    depth: nil, name: file))
        }
        guard !views.isEmpty else { throw FileError(path: path, reason: "no frames") }
        return MultiViewObject(id: URL(fileURLWithPath: dir).lastPathComponent, views: views)
    }
}
