import Foundation

// Puts a user's photo into the rig's framing: square, object centred, at the model resolution.
// W H photo size, s output side.

/// How `PhotoFraming.prepare` crops.
public enum CropMode: String, CaseIterable, Sendable {
    /// Keep the rig's framing when the photo already has it (square or a centred square fits the
    /// object); otherwise crop tightly.
    case auto
    /// Never crop: pad to a square with the background colour and resize.
    case none
    /// A square around the object so it fills `fill` of the side.
    case tight
}

public struct FramedPhoto: Sendable {
    public var image: RGBAImage  // (s, s), alpha 1, composited over white
    public var background: SIMD3<Float>  // estimated from the photo's border
    /// Object bounding box in the photo: x0, y0, x1, y1 (pixels, exclusive ends).
    public var objectBox: (Int, Int, Int, Int)
    /// What was done, for the user.
    public var description: String
}

public enum PhotoFraming {
    /// A pixel belongs to the object when a channel differs from the background by more than this
    /// (8-bit noise and JPEG-era halos stay below it; the cars' palest paint does not).
    public static let foregroundThreshold: Float = 0.08
    /// The smallest side `shrinkOnly` keeps: below it a photo is upsampled (a 4-pixel car is no photo).
    public static let minimumShrinkOnlySide = 16
    /// Fewer object pixels than this fraction of the photo means there is no object to invert.
    public static let minimumObjectFraction = 0.002
    /// Side fraction an object fills in the rig's views (a car seen side-on at distance 3, fov 40).
    public static let rigFill = 0.8
    /// An object centre further than this fraction of the side from the photo centre is "off-centre".
    static let centreTolerance = 0.12

    /// Per-channel median of the outermost ring of pixels of rgb (H, W, 3): the background colour.
    public static func borderColour(_ rgb: [Float], width W: Int, height H: Int) -> SIMD3<Float> {
        var ring: [[Float]] = [[], [], []]
        for y in 0..<H {
            for x in 0..<W where x == 0 || y == 0 || x == W - 1 || y == H - 1 {
                for c in 0..<3 { ring[c].append(rgb[3 * (y * W + x) + c]) }
            }
        }
        return SIMD3<Float>(
            (0..<3).map { c -> Float in
                let s = ring[c].sorted()
                return s[s.count / 2]
            })
    }

    /// Whether pixel k of rgb (H, W, 3) differs from the background by more than `foregroundThreshold`.
    @inline(__always)
    public static func isForeground(_ rgb: [Float], _ k: Int, background bg: SIMD3<Float>) -> Bool {
        max(abs(rgb[3 * k] - bg.x), abs(rgb[3 * k + 1] - bg.y), abs(rgb[3 * k + 2] - bg.z)) > foregroundThreshold
    }

    public struct NoObject: Error, CustomStringConvertible {
        public let description: String
    }

    /// Composites alpha over white, estimates the background from the border, finds the object and
    /// frames it as `mode` says, resized to side x side.
    public static func prepare(
        _ photo: RGBAImage, side: Int, mode: CropMode, fill: Double = rigFill, shrinkOnly: Bool = false
    ) throws
        -> FramedPhoto
    {
        let W = photo.width, H = photo.height
        var rgb = [Float](repeating: 1, count: W * H * 3)  // (H, W, 3)
        for k in 0..<(W * H) {
            let a = photo.pixels[4 * k + 3]
            for c in 0..<3 { rgb[3 * k + c] = a * photo.pixels[4 * k + c] + (1 - a) }
        }
        let bg = borderColour(rgb, width: W, height: H)
        var x0 = W, y0 = H, x1 = 0, y1 = 0, count = 0
        for y in 0..<H {
            for x in 0..<W where isForeground(rgb, y * W + x, background: bg) {
                count += 1
                x0 = min(x0, x)
                y0 = min(y0, y)
                x1 = max(x1, x + 1)
                y1 = max(y1, y + 1)
            }
        }
        guard Double(count) >= max(4, minimumObjectFraction * Double(W * H)) else {
            throw NoObject(
                description:
                    "no object found: the image is plain background (\(count) pixels differ from the border colour)")
        }
        let bw = x1 - x0, bh = y1 - y0, cx = Double(x0 + x1) / 2, cy = Double(y0 + y1) / 2
        // The square to cut (may reach outside the photo: padded with the background).
        var square: (x: Double, y: Double, side: Double)
        var what: String
        let touches = x0 == 0 || y0 == 0 || x1 == W || y1 == H
        let inner = Double(min(W, H))
        let centred =
            abs(cx - Double(W) / 2) < centreTolerance * inner && abs(cy - Double(H) / 2) < centreTolerance * inner
        switch mode {
        case .none:
            let s = Double(max(W, H))
            square = ((Double(W) - s) / 2, (Double(H) - s) / 2, s)
            what = W == H ? "resized" : "padded to a square and resized"
        case .tight:
            let s = Double(max(bw, bh)) / fill
            square = (cx - s / 2, cy - s / 2, s)
            what = "cropped around the object"
        case .auto:
            let sx = (Double(W) - inner) / 2, sy = (Double(H) - inner) / 2
            let fits = Double(x0) >= sx && Double(x1) <= sx + inner && Double(y0) >= sy && Double(y1) <= sy + inner
            if !touches && centred && fits {
                square = (sx, sy, inner)
                what =
                    W == H ? "already in the rig's framing: resized only" : "centre square (rig framing kept) resized"
            } else {
                let s = Double(max(bw, bh)) / fill
                square = (cx - s / 2, cy - s / 2, s)
                what = touches ? "object touches the border: cropped around it" : "object off-centre: cropped around it"
            }
        }
        // Cut the square at the photo's resolution, padding with the background, then resize.
        let n = max(1, Int(square.side.rounded()))
        var cut = RGBAImage(width: n, height: n, fill: (bg.x, bg.y, bg.z, 1))
        let ox = Int(square.x.rounded()), oy = Int(square.y.rounded())
        for j in 0..<n {
            let y = oy + j
            guard y >= 0, y < H else { continue }
            for i in 0..<n {
                let x = ox + i
                guard x >= 0, x < W else { continue }
                for c in 0..<3 { cut.pixels[4 * (j * n + i) + c] = rgb[3 * (y * W + x) + c] }
            }
        }
        // shrinkOnly: a square smaller than `side` keeps its own resolution (no detail is invented).
        let side = shrinkOnly ? max(minimumShrinkOnlySide, min(side, n)) : side
        let image = n == side ? cut : Resample.resize(cut, width: side, height: side)
        return FramedPhoto(
            image: image, background: bg, objectBox: (x0, y0, x1, y1),
            description: "\(W)x\(H) photo, \(what) to \(side)x\(side)")
    }
}
