import Foundation

/// Image quality on RGB (alpha ignored), values in [0, 1].
public enum Metrics {
    /// Ceiling for identical images (MSE 0), so means stay finite.
    public static let maxPSNR = 100.0

    public static func mse(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "images differ in size")
        var acc = 0.0
        for i in 0..<(a.width * a.height) {
            for c in 0..<3 { let d = Double(a.pixels[4 * i + c]) - Double(b.pixels[4 * i + c]); acc += d * d }
        }
        return acc / Double(3 * a.width * a.height)
    }

    public static func psnr(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        let m = mse(a, b)
        return m > 0 ? min(maxPSNR, -10 * log10(m)) : maxPSNR
    }
}
