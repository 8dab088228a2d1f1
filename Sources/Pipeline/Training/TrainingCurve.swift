import Foundation
import Imaging

/// The loss/PSNR curve as a PNG: PSNR (blue) and log-loss (red) against steps, with a grid and
/// axis labels in a small bitmap font.
enum TrainingCurve {
    public static func write(log: TrainingLog, to path: String) throws {
        let rows = log.rows
        guard rows.count >= 2 else { return }
        let W = 640, H = 360, left = 56, right = 16, top = 24, bottom = 36
        var img = RGBAImage(width: W, height: H, fill: (1, 1, 1, 1))
        let maxStep = Double(rows.last!.step), minStep = Double(rows.first!.step)
        let psnrs = rows.map(\.psnr)
        let lo = floor(psnrs.min()! / 2) * 2, hi = ceil(psnrs.max()! / 2) * 2 + 0.001
        func x(_ s: Double) -> Int { left + Int(Double(W - left - right) * (s - minStep) / max(1, maxStep - minStep)) }
        func y(_ p: Double) -> Int { top + Int(Double(H - top - bottom) * (1 - (p - lo) / (hi - lo))) }
        // grid every 2 dB
        var p = lo
        while p <= hi {
            Draw.line(&img, left, y(p), W - right, y(p), (0.88, 0.88, 0.88))
            Draw.text(&img, String(format: "%.0f", p), 8, y(p) - 3, (0.3, 0.3, 0.3))
            p += 2
        }
        Draw.line(&img, left, top, left, H - bottom, (0, 0, 0))
        Draw.line(&img, left, H - bottom, W - right, H - bottom, (0, 0, 0))
        for k in 0...4 {
            let s = minStep + (maxStep - minStep) * Double(k) / 4
            Draw.text(&img, "\(Int(s))", x(s) - 10, H - bottom + 8, (0.3, 0.3, 0.3))
        }
        Draw.text(&img, "PSNR DB (BLUE)  LOSS LOG SCALE (RED)  VS STEP", left + 8, 8, (0, 0, 0))
        let losses = rows.map { log10(max($0.loss, 1e-10)) }
        let llo = losses.min()!, lhi = losses.max()! + 1e-9
        for i in 1..<rows.count {
            Draw.line(
                &img, x(Double(rows[i - 1].step)), y(rows[i - 1].psnr), x(Double(rows[i].step)), y(rows[i].psnr),
                (0.1, 0.3, 0.9))
            func ly(_ v: Double) -> Int {
                top + Int(Double(H - top - bottom) * (v - llo) / (lhi - llo) * -1 + Double(H - top - bottom))
            }
            Draw.line(
                &img, x(Double(rows[i - 1].step)), ly(losses[i - 1]), x(Double(rows[i].step)), ly(losses[i]),
                (0.85, 0.2, 0.2))
        }
        try PNG.write(img, to: path)
    }
}
