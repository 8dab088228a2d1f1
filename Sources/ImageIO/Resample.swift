// Image resizing. W H input size, w h output size.

public enum Resample {
    /// Resizes to w x h: each output pixel averages k x k bilinear taps over its footprint
    /// (k = ⌈scale⌉), a box filter when shrinking (no aliasing) and plain bilinear when enlarging.
    public static func resize(_ img: RGBAImage, width w: Int, height h: Int) -> RGBAImage {
        precondition(w > 0 && h > 0, "output size must be positive")
        let W = img.width, H = img.height
        let sx = Double(W) / Double(w), sy = Double(H) / Double(h)
        let kx = max(1, Int(sx.rounded(.up))), ky = max(1, Int(sy.rounded(.up)))
        var out = RGBAImage(width: w, height: h, fill: (0, 0, 0, 0))
        img.pixels.withUnsafeBufferPointer { src in
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
                            func px(_ xx: Int, _ yy: Int) -> SIMD4<Float> {
                                let k = 4 * (yy * W + xx)
                                return SIMD4(src[k], src[k + 1], src[k + 2], src[k + 3])
                            }
                            let top = px(x0, y0) * (1 - fx) + px(x1, y0) * fx,
                                bottom = px(x0, y1) * (1 - fx) + px(x1, y1) * fx
                            acc += top * (1 - fy) + bottom * fy
                        }
                    }
                    acc /= Float(kx * ky)
                    for c in 0..<4 { out.pixels[4 * (j * w + i) + c] = acc[c] }
                }
            }
        }
        return out
    }
}
