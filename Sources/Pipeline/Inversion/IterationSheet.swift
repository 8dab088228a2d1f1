import Foundation
import Geometry
import Imaging
import Model

// K photos, T iterations, P the side photos are framed to.

/// What the iterative encoder makes of photos, stage by stage: per photo a row with the photo,
/// then for the one-shot encoder's start, each iteration and the default inversion, the
/// reconstruction (the estimate at its own view, light and photometric code) and the far side
/// (azimuth + 180°, the canonical light).
public enum IterationSheet {
    /// One photo's estimates: the start, then one per iteration, then the default inversion's.
    struct Stages {
        var estimates: [LatentEstimate]
        /// The default inversion's field (its residuals, when it kept layers).
        var field: any RadianceField
    }

    /// The sheet of `photos` (PNG paths) inverted by `session`'s model; errors name the photo.
    public static func make(
        session: InversionSession, photos: [String], cell: Int = 128, progress: ((Int) -> Void)? = nil
    ) throws -> RGBAImage {
        let model = session.model
        guard let iterative = model.iterativeEncoder, let encoder = model.encoder else {
            throw ModelError("\(model.identity.name) has no iterative encoder: run `nerfinv train-encoder --iterative`")
        }
        let iterations = max(1, model.refineDefaults.encoderIterations)
        var rows: [(name: String, cells: [RGBAImage])] = []
        for (k, photo) in photos.enumerated() {
            let input = try InversionInput.read(
                photos: [photo], request: InversionRequest(), viewSide: model.config.resolution,
                backgroundMask: { try session.backgroundMask($0, photo: $1, request: InversionRequest()) })
            let P = input.side, pixels = input.images[0].rgb
            let s = Inversion.encodeWithFeatures(encoder, photo: pixels, width: P, height: P)
            var estimates = [LatentEstimate(code: s.code, view: s.view, light: s.light)]
            _ = Inversion.iterate(
                iterative, model: model, photo: pixels, width: P, height: P, photoFeatures: s.features,
                start: estimates[0],
                iterations: iterations
            ) { _, e in estimates.append(e) }
            let result = try Inversion.run(
                model: model, photos: input.photos, width: P, height: P, mode: .refine,
                settings: input.settings(model.refineDefaults))
            estimates.append(LatentEstimate(code: result.code, view: result.view, light: result.light))
            let field = try result.layers.map { try LayeredField.with($0.residuals, on: model.field) } ?? model.field
            // An iteration's estimate is drawn with the residual its head predicted, if any.
            let map = try iterative.residualMap(field: model.field)
            var cells = [Resample.resize(input.images[0], width: cell, height: cell)]
            for (i, e) in estimates.enumerated() {
                var own = model.field
                if let map, let residual = e.residual { own = map.field(model.field, residual: residual) }
                cells += pictures(of: e, field: i == estimates.count - 1 ? field : own, model: model, side: cell)
            }
            rows.append((rowName(photo), cells))
            progress?(k + 1)
        }
        let stages =
            ["one-shot encoder"] + (1...iterations).map { "iteration \($0)" }
            + ["then \(model.refineDefaults.steps) steps"]
        return LabelledSheet(
            firstColumn: "photo", groups: stages.map { .init(title: $0, columns: ["photo view", "far side"]) },
            cell: cell
        ).make(rows: rows)
    }

    /// A photo's row name: its file name, or its object's folder for a data set's view
    /// (`<object>/rgb/000000.png`).
    static func rowName(_ photo: String) -> String {
        let url = URL(fileURLWithPath: photo)
        let folder = url.deletingLastPathComponent()
        return folder.lastPathComponent == "rgb"
            ? folder.deletingLastPathComponent().lastPathComponent : url.lastPathComponent
    }

    /// The estimate at its own view (with its light and photometric code) and from behind.
    static func pictures(of e: LatentEstimate, field: any RadianceField, model: NeRFModel, side: Int) -> [RGBAImage] {
        let renderer = FieldRenderer(field: field, code: e.code)
        renderer.light = e.light
        var own = renderer.render(
            camera: e.view.camera(
                width: side, height: side, distance: model.config.cameraDistance, fovDegrees: model.config.fovDegrees)
        ).image
        for q in 0..<(side * side) {
            for c in 0..<3 { own.pixels[4 * q + c] = e.view.gain[c] * own.pixels[4 * q + c] + e.view.bias[c] }
        }
        renderer.light = .canonical
        let back = renderer.render(
            camera: Rig.camera(
                azimuth: e.view.azimuth + 180, elevation: 20, distance: model.config.cameraDistance,
                fovDegrees: model.config.fovDegrees, width: side, height: side)
        ).image
        return [own.clamped(), back.clamped()]
    }
}
