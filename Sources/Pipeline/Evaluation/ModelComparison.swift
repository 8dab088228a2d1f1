import Datasets
import Foundation
import Geometry
import Imaging
import Model

/// Several models inverting the same photos, side by side: a row per photo with the input, then for
/// each model its reconstruction and the object from four sides, so a reader sees at a glance what
/// one generation keeps that another loses.
public enum ModelComparison {
    /// Azimuths of the views shown per model (elevation 20°, the rig's canonical light).
    static let azimuths = [0.0, 90.0, 180.0, 270.0]

    /// One model's cells for one photo: reconstruction, then the views around.
    public struct Row {
        public var input: RGBAImage
        var cells: [[RGBAImage]]  // per model: reconstruction + views
        var name: String
    }

    /// Row labels: each photo's file name without its extension or, where photos share one (every
    /// view 0 of a test set is `<object>/rgb/000000.png`), as much of the path before it as tells
    /// them apart.
    public static func rowNames(_ photos: [String]) -> [String] {
        // The path as given (not resolved against the working folder), without the extension.
        let parts = photos.map { ($0 as NSString).deletingPathExtension.split(separator: "/").map(String.init) }
        func name(_ i: Int, _ depth: Int) -> String { parts[i].suffix(depth).joined(separator: "/") }
        return parts.indices.map { i in
            let depth =
                (1...max(1, parts[i].count)).first { d in
                    parts.indices.allSatisfy { j in j == i || name(j, d) != name(i, d) }
                } ?? parts[i].count
            return name(i, depth)
        }
    }

    /// Inverts `photo` with each session and renders its cells at `cell` pixels; `name` labels the
    /// row (one of `rowNames`).
    public static func row(
        photo: String, name: String, sessions: [InversionSession], request: InversionRequest, cell: Int
    ) throws -> Row {
        var input: RGBAImage?
        var cells: [[RGBAImage]] = []
        for session in sessions {
            let r = try session.infer(photo: photo, request: request)
            if input == nil { input = r.input }
            let renderer = FieldRenderer(field: session.model.field, code: r.result.code)
            var own = [Resample.resize(r.reconstruction, width: cell, height: cell)]
            for az in azimuths {
                let cam = Rig.camera(
                    azimuth: az, elevation: 20, distance: session.model.config.cameraDistance,
                    fovDegrees: session.model.config.fovDegrees, width: cell, height: cell)
                own.append(renderer.render(camera: cam).image.clamped())
            }
            cells.append(own)
        }
        return Row(
            input: Resample.resize(input!, width: cell, height: cell), cells: cells,
            name: name)
    }

    /// The sheet: headings (model labels over their columns), then a row per photo.
    static func make(rows: [Row], labels: [String], cell: Int) -> RGBAImage {
        let columns = ["recon."] + azimuths.map { "\(Int($0))" }
        let sheet = LabelledSheet(
            firstColumn: "input", groups: labels.map { LabelledSheet.Group(title: $0, columns: columns) }, cell: cell)
        return sheet.make(rows: rows.map { ($0.name, [$0.input] + $0.cells.flatMap { $0 }) })
    }

    /// The sheet of `make`, written as a PNG.
    public static func write(rows: [Row], labels: [String], cell: Int, to path: String) throws {
        try PNG.write(make(rows: rows, labels: labels, cell: cell), to: path)
    }
}
