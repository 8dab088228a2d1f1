import Geometry
import Imaging

/// One posed view: an RGB image (alpha composited onto white) and its camera, in the internal
/// convention (OpenCV camera axes, camera-to-world).
public struct PosedView: Sendable {
    public var image: RGBAImage
    public var camera: Camera
    /// Camera-z depth per pixel, 0 = background, when the dataset has it. (H, W)
    public var depth: [Float]?
    public var name: String
}

/// All views of one object.
public struct MultiViewObject: Sendable {
    public var id: String
    public var views: [PosedView]
}

extension RGBAImage {
    /// Composites over white (the rig's background) and sets alpha to 1.
    func overWhite() -> RGBAImage {
        var out = self
        for i in 0..<(width * height) {
            let a = pixels[4 * i + 3]
            for c in 0..<3 { out.pixels[4 * i + c] = pixels[4 * i + c] * a + (1 - a) }
            out.pixels[4 * i + 3] = 1
        }
        return out
    }
}
