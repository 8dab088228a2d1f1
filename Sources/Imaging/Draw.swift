/// Minimal raster drawing for plots and sheets: lines and a 3x5 bitmap font (digits, capitals, a
/// few symbols).
public enum Draw {
    public static func pixel(_ img: inout RGBAImage, _ x: Int, _ y: Int, _ c: (Float, Float, Float)) {
        guard x >= 0, y >= 0, x < img.width, y < img.height else { return }
        img[x, y, 0] = c.0
        img[x, y, 1] = c.1
        img[x, y, 2] = c.2
        img[x, y, 3] = 1
    }

    /// Bresenham line.
    public static func line(
        _ img: inout RGBAImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (Float, Float, Float)
    ) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        for _ in 0..<(dx - dy + 1) {
            pixel(&img, x, y, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy {
                err += dy
                x += sx
            }
            if e2 <= dx {
                err += dx
                y += sy
            }
        }
    }

    /// 3x5 glyphs, rows top to bottom, 3 bits each (MSB = left).
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [7, 4, 4, 4, 7], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
        "F": [7, 4, 6, 4, 4], "G": [7, 4, 5, 5, 7], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 7],
        "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [7, 5, 5, 5, 7],
        "P": [7, 5, 7, 4, 4], "Q": [7, 5, 5, 7, 1], "R": [7, 5, 6, 5, 5], "S": [7, 4, 7, 1, 7], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2],
        "Z": [7, 1, 2, 4, 7], ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], ":": [0, 2, 0, 2, 0], "(": [1, 2, 2, 2, 1],
        ")": [4, 2, 2, 2, 4], "/": [1, 1, 2, 4, 4], "%": [5, 1, 2, 4, 5], "|": [2, 2, 2, 2, 2], " ": [0, 0, 0, 0, 0],
    ]

    /// Text at (x, y) top-left, 2x scaled glyphs (6x10 px, 8 px advance); lowercase is drawn as capitals.
    public static func text(_ img: inout RGBAImage, _ s: String, _ x: Int, _ y: Int, _ c: (Float, Float, Float)) {
        for (k, ch) in s.uppercased().enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for col in 0..<3 where bits & (4 >> col) != 0 {
                    for dy in 0..<2 { for dx in 0..<2 { pixel(&img, x + k * 8 + col * 2 + dx, y + r * 2 + dy, c) } }
                }
            }
        }
    }
}
