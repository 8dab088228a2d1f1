import Foundation

/// Image quality on RGB (alpha ignored), values in [0, 1].
public enum Metrics {
    /// Ceiling for identical images (MSE 0), so means stay finite.
    public static let maxPSNR = 100.0

    public static func mse(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "images differ in size")
        var acc = 0.0
        for i in 0..<(a.width * a.height) {
            for c in 0..<3 {
                let d = Double(a.pixels[4 * i + c]) - Double(b.pixels[4 * i + c])
                acc += d * d
            }
        }
        return acc / Double(3 * a.width * a.height)
    }

    public static func psnr(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        let m = mse(a, b)
        return m > 0 ? min(maxPSNR, -10 * log10(m)) : maxPSNR
    }
}

extension Metrics {
    /// SSIM (Wang et al. 2004) with an 11x11 Gaussian window (σ = 1.5), C1 = 0.01², C2 = 0.03²,
    /// averaged over the valid window positions and the three channels.
    public static func ssim(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "images differ in size")
        let W = a.width, H = a.height, r = 5
        guard W > 2 * r, H > 2 * r else { return mse(a, b) == 0 ? 1 : 0 }
        var g = [Double](repeating: 0, count: 2 * r + 1)
        for i in -r...r { g[i + r] = exp(-Double(i * i) / (2 * 1.5 * 1.5)) }
        let gs = g.reduce(0, +)
        g = g.map { $0 / gs }
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        var total = 0.0, count = 0
        for c in 0..<3 {
            // Separable filtering of x, y, x², y², xy: rows first, then columns over the valid region.
            func channel(_ img: RGBAImage) -> [Double] { (0..<(W * H)).map { Double(img.pixels[4 * $0 + c]) } }
            let x = channel(a), y = channel(b)
            let fields = [x, y, zip(x, x).map(*), zip(y, y).map(*), zip(x, y).map(*)]
            let Wv = W - 2 * r, Hv = H - 2 * r
            var filtered: [[Double]] = []
            for f in fields {
                var rows = [Double](repeating: 0, count: Wv * H)
                for j in 0..<H {
                    for i in 0..<Wv {
                        var s = 0.0
                        for k in 0...(2 * r) { s += g[k] * f[j * W + i + k] }
                        rows[j * Wv + i] = s
                    }
                }
                var out = [Double](repeating: 0, count: Wv * Hv)
                for j in 0..<Hv {
                    for i in 0..<Wv {
                        var s = 0.0
                        for k in 0...(2 * r) { s += g[k] * rows[(j + k) * Wv + i] }
                        out[j * Wv + i] = s
                    }
                }
                filtered.append(out)
            }
            for k in 0..<(Wv * Hv) {
                let mx = filtered[0][k], my = filtered[1][k]
                let vx = filtered[2][k] - mx * mx, vy = filtered[3][k] - my * my, cxy = filtered[4][k] - mx * my
                total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                count += 1
            }
        }
        return total / Double(count)
    }

    /// Pixels that are not background: any channel more than 2/255 below white.
    public static func foreground(_ img: RGBAImage) -> [Bool] {
        (0..<(img.width * img.height)).map { i in (0..<3).contains { img.pixels[4 * i + $0] < 1 - 2.0 / 255 } }
    }

    /// PSNR over a pixel mask (e.g. the union of true and predicted silhouettes).
    public static func maskedPSNR(_ a: RGBAImage, _ b: RGBAImage, mask: [Bool]) -> Double {
        var acc = 0.0, n = 0
        for i in 0..<(a.width * a.height) where mask[i] {
            for c in 0..<3 {
                let d = Double(a.pixels[4 * i + c]) - Double(b.pixels[4 * i + c])
                acc += d * d
            }
            n += 3
        }
        guard n > 0 else { return maxPSNR }
        return acc > 0 ? min(maxPSNR, -10 * log10(acc / Double(n))) : maxPSNR
    }
}
