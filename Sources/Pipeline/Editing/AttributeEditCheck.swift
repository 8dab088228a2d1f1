import Datasets
import Foundation
import Geometry
import Imaging
import Model
import Scenes

// N objects edited, K amounts.

/// Measures semantic edits in renders: each attribute's direction applied to training codes at
/// several amounts, and the car's length, height, brightness and hue read off the edited renders
/// (a side view at the rig's distance and canonical light). An edit works when its own measure
/// moves monotonically with the amount while the others stay within their tolerances.
public enum AttributeEditCheck {
    /// What one render says about the car.
    struct Measures: Sendable {
        /// Silhouette extents in the side view, in box units; mean luminance and circular-mean hue
        /// (degrees, nil without saturated pixels) of the object's pixels.
        var length: Double, height: Double, brightness: Double
        var hue: Double?
    }

    /// One row: an attribute moved by an amount, and how much every measure changed on average.
    public struct Row: Sendable {
        public var attribute: String
        public var amount: Float
        public var dLength: Double, dHeight: Double, dBrightness: Double, dHue: Double
    }

    /// Tolerances per unit of amount for the measures an edit should leave alone.
    static let sizeTolerance = 0.03  // box units (1.5% of a car's length)
    static let brightnessTolerance = 0.02
    static let hueTolerance = 8.0  // degrees

    static let side = 128

    /// The measures of one code's side view (azimuth 90°, elevation 0°).
    static func measure(field: any RadianceField, code: [Float], distance: Double, fov: Double) -> Measures {
        let S = side
        let camera = Rig.camera(azimuth: 90, elevation: 0, distance: distance, fovDegrees: fov, width: S, height: S)
        let img = FieldRenderer(field: field, code: code).render(camera: camera).image
        // Extents to a fraction of a pixel: each column (row) counts with its most opaque pixel.
        var columns = [Double](repeating: 0, count: S), rows = [Double](repeating: 0, count: S)
        var lum = 0.0, count = 0, hx = 0.0, hy = 0.0, hues = 0
        for j in 0..<S {
            for i in 0..<S {
                let alpha = Double(img.pixels[4 * (j * S + i) + 3])
                columns[i] = max(columns[i], alpha)
                rows[j] = max(rows[j], alpha)
            }
        }
        for j in 0..<S {
            for i in 0..<S where img.pixels[4 * (j * S + i) + 3] > 0.5 {
                let k = 4 * (j * S + i)
                let (r, g, b) = (Double(img.pixels[k]), Double(img.pixels[k + 1]), Double(img.pixels[k + 2]))
                let (l, h) = ObjectAttributes.brightnessAndHue(r, g, b)
                lum += l
                count += 1
                if let h {
                    hx += cos(h * .pi / 180)
                    hy += sin(h * .pi / 180)
                    hues += 1
                }
            }
        }
        // Pixels to box units at the origin's depth: the frame spans 2 d tan(fov / 2).
        let unit = 2 * distance * tan(fov * .pi / 360) / Double(S)
        var hue: Double? = nil
        if hues > count / 10 {
            hue = atan2(hy, hx) * 180 / .pi
            if hue! < 0 { hue! += 360 }
        }
        return Measures(
            length: columns.reduce(0, +) * unit, height: rows.reduce(0, +) * unit,
            brightness: count > 0 ? lum / Double(count) : 0, hue: hue)
    }

    /// Signed difference of two hues in degrees, in (-180, 180].
    static func hueDifference(_ a: Double, _ b: Double) -> Double {
        var d = (a - b).truncatingRemainder(dividingBy: 360)
        if d > 180 { d -= 360 }
        if d <= -180 { d += 360 }
        return d
    }

    /// One object to edit: its identity code, and the field it renders in (the model's, or the
    /// model's with a layered latent's residuals, which the edit keeps).
    public struct Subject {
        public var code: [Float]
        public var field: any RadianceField
        public init(code: [Float], field: any RadianceField) {
            self.code = code
            self.field = field
        }
    }

    /// The model's first `objects` training codes.
    public static func trainingSubjects(of model: NeRFModel, objects: Int) -> [Subject] {
        let D = model.codes.shape[1], N = min(objects, model.codes.shape[0])
        return (0..<N).map { o in Subject(code: (0..<D).map { model.codes[o * D + $0] }, field: model.field) }
    }

    /// Latent files as subjects, each with its layer residuals (an inverted photo's edit keeps them).
    public static func latentSubjects(_ paths: [String], model: NeRFModel) throws -> [Subject] {
        try paths.map { path in
            let latent = try LatentFile.read(path, for: model)
            let residuals = try LatentEditing.residuals(of: latent, model: model, path: path)
            return Subject(code: latent.identity, field: try LayeredField.with(residuals, on: model.field))
        }
    }

    /// Every attribute of `directions` at every amount, on `subjects`; each change is measured
    /// against the subject's own unedited render (residuals and all).
    public static func run(
        model: NeRFModel, subjects: [Subject], directions: AttributeDirections, amounts: [Float], independent: Bool,
        progress: ((Int, Int) -> Void)? = nil
    ) -> [Row] {
        let N = subjects.count
        let measure = { (s: Subject, c: [Float]) in
            Self.measure(field: s.field, code: c, distance: model.config.cameraDistance, fov: model.config.fovDegrees)
        }
        let base = subjects.map { measure($0, $0.code) }
        var rows: [Row] = []
        let total = directions.names.count * amounts.count
        for (a, name) in directions.names.enumerated() {
            for amount in amounts {
                var d = (0.0, 0.0, 0.0, 0.0), hueCount = 0
                for (n, subject) in subjects.enumerated() {
                    let m = measure(
                        subject,
                        directions.moved(subject.code, attribute: a, amount: amount, independent: independent))
                    d.0 += m.length - base[n].length
                    d.1 += m.height - base[n].height
                    d.2 += m.brightness - base[n].brightness
                    if let h = m.hue, let h0 = base[n].hue {
                        d.3 += hueDifference(h, h0)
                        hueCount += 1
                    }
                }
                let n = Double(N)
                rows.append(
                    Row(
                        attribute: name, amount: amount, dLength: d.0 / n, dHeight: d.1 / n, dBrightness: d.2 / n,
                        dHue: hueCount > 0 ? d.3 / Double(hueCount) : 0))
                progress?(rows.count, total)
            }
        }
        return rows
    }

    /// Which measure an attribute's edit should move (nil: none of the four, e.g. wheel size).
    static func ownMeasure(_ attribute: String) -> KeyPath<Row, Double>? {
        switch attribute {
        case "length": \.dLength
        case "height": \.dHeight
        case "brightness": \.dBrightness
        case "hue": \.dHue
        default: nil
        }
    }

    /// The rows as a Markdown table, with each edit's verdict: its own measure monotonic in the
    /// amount, the others within tolerance per unit of amount.
    public static func table(_ rows: [Row], directions: AttributeDirections) -> String {
        var lines = [
            "| attribute (R² of its direction) | amount (σ) | Δ length (units) | Δ height (units) | Δ brightness | Δ hue (°) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows {
            let a = directions.names.firstIndex(of: r.attribute) ?? 0
            lines.append(
                String(
                    format: "| %@ (%.2f) | %+.1f | %+.3f | %+.3f | %+.3f | %+.1f |", r.attribute,
                    directions.explained[a],
                    r.amount, r.dLength, r.dHeight, r.dBrightness, r.dHue))
        }
        lines.append("")
        for name in directions.names {
            let own = rows.filter { $0.attribute == name }.sorted { $0.amount < $1.amount }
            guard let key = ownMeasure(name) else {
                lines.append("- \(name): no render measure of its own (sizes and colour are reported above)")
                continue
            }
            let values = own.map { $0[keyPath: key] }
            let monotonic = zip(values, values.dropFirst()).allSatisfy { $0 < $1 }
            var worst: [String] = []
            for r in own where r.amount != 0 {
                let scale = Double(abs(r.amount))
                if key != \Row.dLength && abs(r.dLength) / scale > sizeTolerance { worst.append("length") }
                if key != \Row.dHeight && abs(r.dHeight) / scale > sizeTolerance { worst.append("height") }
                if key != \Row.dBrightness && abs(r.dBrightness) / scale > brightnessTolerance {
                    worst.append("brightness")
                }
                if key != \Row.dHue && abs(r.dHue) / scale > hueTolerance { worst.append("hue") }
            }
            let spill = Array(Set(worst)).sorted()
            lines.append(
                "- \(name): own measure \(monotonic ? "monotonic" : "NOT monotonic") in the amount; "
                    + (spill.isEmpty
                        ? "the others within tolerance" : "beyond tolerance: " + spill.joined(separator: ", ")))
        }
        lines.append(
            String(
                format: "\nTolerances per σ of edit: sizes %.3f units, brightness %.3f, hue %.0f°.", sizeTolerance,
                brightnessTolerance, hueTolerance))
        return lines.joined(separator: "\n")
    }
}
