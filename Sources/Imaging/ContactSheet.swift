/// Tiles images into one picture, row by row, for looking at many views at once.
public enum ContactSheet {
    /// Images may differ in size; each cell is as large as the largest image, which is centred in it.
    public static func make(
        _ images: [RGBAImage], columns: Int, padding: Int = 2,
        background: (Float, Float, Float) = (0.85, 0.85, 0.85)
    ) -> RGBAImage {
        precondition(columns > 0, "ContactSheet needs at least one column")
        guard !images.isEmpty else { return RGBAImage(width: 1, height: 1) }
        let cw = images.map(\.width).max()!, ch = images.map(\.height).max()!
        let cols = min(columns, images.count), rows = (images.count + cols - 1) / cols
        var sheet = RGBAImage(
            width: cols * (cw + padding) + padding, height: rows * (ch + padding) + padding,
            fill: (background.0, background.1, background.2, 1))
        for (k, img) in images.enumerated() {
            let x0 = padding + (k % cols) * (cw + padding) + (cw - img.width) / 2
            let y0 = padding + (k / cols) * (ch + padding) + (ch - img.height) / 2
            for y in 0..<img.height {
                for x in 0..<img.width {
                    for c in 0..<3 { sheet[x0 + x, y0 + y, c] = img[x, y, c] }
                }
            }
        }
        return sheet
    }
}
