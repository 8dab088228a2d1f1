import Foundation
import Geometry
import Imaging
import Model

/// One picture of a batch of inversions: a row per photo with the input the model saw, its
/// reconstruction at the found view, and the object rendered all around.
enum InversionOverview {
    /// Views around the object per row (every 360/n degrees of azimuth at the rig's 20° elevation).
    static let aroundViews = 8
    /// Side of every cell in pixels: inputs are enlarged to it, views rendered at it.
    static let cell = 96
    static let labelHeight = 14

    /// `field`: the decoder of every row; a row's own (a tuned decoder) replaces it. `removed`: per
    /// row, the photo as given and the object mask when its background was removed; when any row
    /// has them, two columns show them first (blank for the other rows).
    static func make(
        rows: [(name: String, input: RGBAImage, reconstruction: RGBAImage, code: [Float])], field: any RadianceField,
        fields: [(any RadianceField)?] = [], removed: [(photo: RGBAImage, mask: RGBAImage)?] = []
    )
        -> RGBAImage
    {
        let matted = removed.contains { $0 != nil }
        let lead = matted ? 2 : 0
        let columns = lead + 2 + aroundViews, pad = 2, rowHeight = labelHeight + cell + pad
        var sheet = RGBAImage(
            width: pad + columns * (cell + pad), height: labelHeight + rows.count * rowHeight + pad, fill: (1, 1, 1, 1))
        let grey: (Float, Float, Float) = (0.35, 0.35, 0.35)
        let headings =
            (matted ? ["PHOTO", "MASK"] : []) + ["INPUT", "RECON."]
            + (0..<aroundViews).map { "\(360 * $0 / aroundViews)" }
        for (k, h) in headings.enumerated() { Draw.text(&sheet, h, pad + k * (cell + pad) + 2, 2, grey) }
        for (r, row) in rows.enumerated() {
            let y0 = labelHeight + r * rowHeight
            Draw.text(&sheet, row.name, pad + 2, y0 + 2, grey)
            let renderer = FieldRenderer(field: (r < fields.count ? fields[r] : nil) ?? field, code: row.code)
            var cells: [RGBAImage] = []
            if matted {
                let blank = RGBAImage(width: cell, height: cell, fill: (1, 1, 1, 1))
                if r < removed.count, let (photo, mask) = removed[r] {
                    cells += [fitted(photo), fitted(mask)]
                } else {
                    cells += [blank, blank]
                }
            }
            cells += [
                Resample.resize(row.input, width: cell, height: cell),
                Resample.resize(row.reconstruction, width: cell, height: cell),
            ]
            for v in 0..<aroundViews {
                let cam = Rig.camera(
                    azimuth: 360 * Double(v) / Double(aroundViews), elevation: 20, width: cell, height: cell)
                cells.append(renderer.render(camera: cam).image.clamped())
            }
            for (k, img) in cells.enumerated() {
                let x0 = pad + k * (cell + pad), top = y0 + labelHeight
                for y in 0..<cell { for x in 0..<cell { for c in 0..<3 { sheet[x0 + x, top + y, c] = img[x, y, c] } } }
            }
        }
        return sheet
    }

    /// The image scaled to fit a cell, its aspect kept, centred on white (photos need not be square).
    static func fitted(_ image: RGBAImage) -> RGBAImage {
        let scale = Double(cell) / Double(max(image.width, image.height))
        let w = max(1, Int((Double(image.width) * scale).rounded())),
            h = max(1, Int((Double(image.height) * scale).rounded()))
        let small = Resample.resize(image, width: w, height: h)
        var out = RGBAImage(width: cell, height: cell, fill: (1, 1, 1, 1))
        let x0 = (cell - w) / 2, y0 = (cell - h) / 2
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { out[x0 + x, y0 + y, c] = small[x, y, c] } } }
        return out
    }
}
