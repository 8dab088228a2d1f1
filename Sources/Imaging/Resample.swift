// Image resizing. W H input size, w h output size.

public enum Resample {
    /// Resizes to w x h: each output pixel averages k x k bilinear taps over its footprint
    /// (k = ⌈scale⌉), a box filter when shrinking (no aliasing) and plain bilinear when enlarging.
    /// Bilinear taps per output pixel and axis at most: a box filter of 16 x 16 taps still averages
    /// a 50x shrink smoothly, and a photo thousands of times larger than the output costs no more.
    static let maxTaps = 16

    public static func resize(_ img: RGBAImage, width w: Int, height h: Int) -> RGBAImage {
        img.pixels.withUnsafeBufferPointer { src in
            let W = img.width
            return resize(sourceWidth: img.width, sourceHeight: img.height, width: w, height: h) { x, y in
                let k = 4 * (y * W + x)
                return SIMD4(src[k], src[k + 1], src[k + 2], src[k + 3])
            }
        }
    }

    /// Resizes a source of W x H pixels read through `pixel(x, y)` (so it need not exist as an
    /// image: a crop of a photo, padded, composited) to w x h, as `resize(_:width:height:)` does.
    public static func resize(
        sourceWidth W: Int, sourceHeight H: Int, width w: Int, height h: Int, pixel: (Int, Int) -> SIMD4<Float>
    ) -> RGBAImage {
        precondition(w > 0 && h > 0 && W > 0 && H > 0, "sizes must be positive")
        let sx = Double(W) / Double(w), sy = Double(H) / Double(h)
        let kx = min(maxTaps, max(1, Int(sx.rounded(.up)))), ky = min(maxTaps, max(1, Int(sy.rounded(.up))))
        var out = RGBAImage(width: w, height: h, fill: (0, 0, 0, 0))
        for j in 0..<h {
            for i in 0..<w {
                var acc = SIMD4<Float>.zero
                for b in 0..<ky {
                    let y = (Double(j) + (Double(b) + 0.5) / Double(ky)) * sy - 0.5
                    let y0 = max(0, min(H - 1, Int(y.rounded(.down)))), y1 = min(H - 1, y0 + 1)
                    let fy = Float(max(0, min(1, y - Double(y0))))
                    for a in 0..<kx {
                        let x = (Double(i) + (Double(a) + 0.5) / Double(kx)) * sx - 0.5
                        let x0 = max(0, min(W - 1, Int(x.rounded(.down)))), x1 = min(W - 1, x0 + 1)
                        let fx = Float(max(0, min(1, x - Double(x0))))
                        let top = pixel(x0, y0) * (1 - fx) + pixel(x1, y0) * fx,
                            bottom = pixel(x0, y1) * (1 - fx) + pixel(x1, y1) * fx
                        acc += top * (1 - fy) + bottom * fy
                    }
                }
                acc /= Float(kx * ky)
                for c in 0..<4 { out.pixels[4 * (j * w + i) + c] = acc[c] }
            }
        }
        return out
    }
}
