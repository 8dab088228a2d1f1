import FileIO
import Foundation

/// train_log.csv: one row every 25 steps; kept across --resume.
public struct TrainingLog {
    public struct Row {
        public var step: Int
        public var loss: Double
        public var psnr: Double
        public var lrScale: Double
        var raysPerSecond: Double
        public var seconds: Double
    }
    public let path: String
    /// Header of the throughput column (rays/s for the decoder, images/s for the encoder).
    public var rateColumn = "rays_per_second"
    public var rows: [Row] = []
    /// Wall time of the earlier sessions of a resumed run.
    var offsetSeconds: Double = 0

    public init(path: String) { self.path = path }

    mutating func reload() throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        rows = text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",").compactMap { Double($0) }
            return f.count == 6
                ? Row(step: Int(f[0]), loss: f[1], psnr: f[2], lrScale: f[3], raysPerSecond: f[4], seconds: f[5]) : nil
        }
        offsetSeconds = rows.last?.seconds ?? 0
    }

    mutating func append(
        step: Int, loss: Double, psnr: Double, lrScale: Double, raysPerSecond: Double, seconds: Double
    ) {
        rows.removeAll { $0.step >= step }  // a resumed run overwrites rows past its checkpoint
        rows.append(
            Row(step: step, loss: loss, psnr: psnr, lrScale: lrScale, raysPerSecond: raysPerSecond, seconds: seconds))
    }

    func flush() throws {
        var text = "step,loss,psnr_db,lr_scale,\(rateColumn),seconds\n"
        for r in rows {
            text += String(
                format: "%d,%.6f,%.3f,%.4f,%.0f,%.1f\n", r.step, r.loss, r.psnr, r.lrScale, r.raysPerSecond, r.seconds)
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}
