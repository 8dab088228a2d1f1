import Foundation

// w h output size, W H input size.

/// Bicubic interpolation (Keys' cubic convolution, a = -0.5; the "bicubic" of image editors and
/// of super-resolution baselines), edges clamped. Used to enlarge a small photo for comparison.
public enum Bicubic {
    /// Keys' kernel with a = -0.5 at distance x.
    static func weight(_ x: Double) -> Double {
        let a = -0.5, t = abs(x)
        if t <= 1 { return (a + 2) * t * t * t - (a + 3) * t * t + 1 }
        if t < 2 { return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a }
        return 0
    }

    /// img (H, W) resampled to (h, w), pixel centres aligned (x_in = (x + 0.5) W / w - 0.5).
    public static func resize(_ img: RGBAImage, width w: Int, height h: Int) -> RGBAImage {
        let W = img.width, H = img.height
        var out = RGBAImage(width: w, height: h)
        func taps(_ o: Int, _ n: Int, _ N: Int) -> [(Int, Double)] {
            let x = (Double(o) + 0.5) * Double(N) / Double(n) - 0.5
            let base = Int(floor(x))
            return (-1...2).map { d in (min(max(base + d, 0), N - 1), weight(x - Double(base + d))) }
        }
        let xs = (0..<w).map { taps($0, w, W) }, ys = (0..<h).map { taps($0, h, H) }
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<4 {
                    var acc = 0.0
                    for (j, wy) in ys[y] {
                        for (i, wx) in xs[x] { acc += wy * wx * Double(img.pixels[4 * (j * W + i) + c]) }
                    }
                    out.pixels[4 * (y * w + x) + c] = Float(min(1, max(0, acc)))
                }
            }
        }
        return out
    }
}
