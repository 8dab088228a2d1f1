/// A float RGBA image in [0, 1], row-major (H, W, 4), sRGB-encoded values as stored in files.
/// H rows, W columns.
public struct RGBAImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// (H, W, 4)
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height * 4, "RGBAImage: \(pixels.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A solid image.
    public init(width: Int, height: Int, fill: (Float, Float, Float, Float) = (1, 1, 1, 1)) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            pixels[4 * i] = fill.0
            pixels[4 * i + 1] = fill.1
            pixels[4 * i + 2] = fill.2
            pixels[4 * i + 3] = fill.3
        }
    }

    public subscript(x: Int, y: Int, c: Int) -> Float {
        get { pixels[(y * width + x) * 4 + c] }
        set { pixels[(y * width + x) * 4 + c] = newValue }
    }

    /// The colour channels as (H, W, 3) values clamped to [0, 1] (alpha dropped).
    public var rgb: [Float] {
        var out = [Float](repeating: 0, count: width * height * 3)
        for k in 0..<(width * height) { for c in 0..<3 { out[3 * k + c] = min(1, max(0, pixels[4 * k + c])) } }
        return out
    }
}

extension RGBAImage {
    /// Every channel clamped to [0, 1]: a field renders colours in the space its training images
    /// were stored in (sRGB), so this is all a render needs before it is written.
    public func clamped() -> RGBAImage {
        var out = self
        for i in 0..<out.pixels.count { out.pixels[i] = min(1, max(0, out.pixels[i])) }
        return out
    }
}
