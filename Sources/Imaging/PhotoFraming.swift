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
    /// The square cut from the photo (top-left corner and side, photo pixels; may reach outside it).
    public var square: (x: Int, y: Int, side: Int) = (0, 0, 0)
}

public enum PhotoFraming {
    /// A pixel belongs to the object when a channel differs from the background by more than this
    /// (8-bit noise and JPEG-era halos stay below it; the cars' palest paint does not).
    static let foregroundThreshold: Float = 0.08
    /// The smallest side `shrinkOnly` keeps: below it a photo is upsampled (a 4-pixel car is no photo).
    static let minimumShrinkOnlySide = 16
    /// Fewer object pixels than this fraction of the photo means there is no object to invert.
    static let minimumObjectFraction = 0.002
    /// Side fraction an object fills in the rig's views (a car seen side-on at distance 3, fov 40).
    public static let rigFill = 0.8
    /// An object centre further than this fraction of the side from the photo centre is "off-centre".
    static let centreTolerance = 0.12

    /// Per-channel median of the outermost ring of pixels of rgb (H, W, 3): the background colour.
    public static func borderColour(_ rgb: [Float], width W: Int, height H: Int) -> SIMD3<Float> {
        borderColour(width: W, height: H) { SIMD3(rgb[3 * $0], rgb[3 * $0 + 1], rgb[3 * $0 + 2]) }
    }

    /// The same of an image read through `pixel(y W + x)`, visiting only its ring.
    static func borderColour(width W: Int, height H: Int, pixel: (Int) -> SIMD3<Float>) -> SIMD3<Float> {
        var ring: [[Float]] = [[], [], []]
        func add(_ k: Int) {
            let p = pixel(k)
            for c in 0..<3 { ring[c].append(p[c]) }
        }
        for y in 0..<H {
            if y == 0 || y == H - 1 {
                for x in 0..<W { add(y * W + x) }
            } else {
                add(y * W)
                if W > 1 { add(y * W + W - 1) }
            }
        }
        return SIMD3<Float>(
            (0..<3).map { c -> Float in
                let s = ring[c].sorted()
                return s[s.count / 2]
            })
    }

    /// The photo's one colour (over white) when it is plain: fewer than `minimumObjectFraction` of
    /// its pixels differ from its mean colour by more than `foregroundThreshold`, whatever its border
    /// (an all-black photo has no object, though its black border reads as a background). Nil when
    /// there is something in it.
    public static func plainColour(_ photo: RGBAImage) -> SIMD3<Float>? {
        let n = photo.width * photo.height
        guard n > 0 else { return nil }
        let src = photo.pixels
        func over(_ k: Int) -> SIMD3<Float> {
            let a = src[4 * k + 3]
            return SIMD3(a * src[4 * k] + (1 - a), a * src[4 * k + 1] + (1 - a), a * src[4 * k + 2] + (1 - a))
        }
        var sum = SIMD3<Double>(repeating: 0)
        for k in 0..<n {
            let p = over(k)
            sum += SIMD3(Double(p.x), Double(p.y), Double(p.z))
        }
        let mean = SIMD3<Float>(sum / Double(n))
        var differing = 0
        for k in 0..<n where maxDifference(over(k), mean) > foregroundThreshold { differing += 1 }
        return Double(differing) < max(4, minimumObjectFraction * Double(n)) ? mean : nil
    }

    /// Whether pixel k of rgb (H, W, 3) differs from the background by more than `foregroundThreshold`.
    @inline(__always)
    public static func isForeground(_ rgb: [Float], _ k: Int, background bg: SIMD3<Float>) -> Bool {
        maxDifference(SIMD3(rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2]), bg) > foregroundThreshold
    }

    @inline(__always) static func maxDifference(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
        max(Swift.abs(a.x - b.x), Swift.abs(a.y - b.y), Swift.abs(a.z - b.z))
    }

    struct NoObject: Error, CustomStringConvertible {
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
        // The photo over white, read a pixel at a time: no full-resolution copy is made.
        let src = photo.pixels
        func over(_ k: Int) -> SIMD3<Float> {
            let a = src[4 * k + 3]
            return SIMD3(a * src[4 * k] + (1 - a), a * src[4 * k + 1] + (1 - a), a * src[4 * k + 2] + (1 - a))
        }
        let bg = borderColour(width: W, height: H, pixel: over)
        var x0 = W, y0 = H, x1 = 0, y1 = 0, count = 0
        for y in 0..<H {
            for x in 0..<W where maxDifference(over(y * W + x), bg) > foregroundThreshold {
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
        // Sample the square (padded with the background where it leaves the photo) straight into
        // side x side: never built at the photo's resolution, which for a 1 x 100000 strip would be
        // a 125000² square.
        let n = max(1, Int(square.side.rounded()))
        let ox = Int(square.x.rounded()), oy = Int(square.y.rounded())
        func cut(_ i: Int, _ j: Int) -> SIMD4<Float> {
            let x = ox + i, y = oy + j
            guard x >= 0, x < W, y >= 0, y < H else { return SIMD4(bg, 1) }
            return SIMD4(over(y * W + x), 1)
        }
        // shrinkOnly: a square smaller than `side` keeps its own resolution (no detail is invented).
        let side = shrinkOnly ? max(minimumShrinkOnlySide, min(side, n)) : side
        var image: RGBAImage
        if n == side {
            image = RGBAImage(width: n, height: n)
            for j in 0..<n {
                for i in 0..<n {
                    let p = cut(i, j)
                    for c in 0..<4 { image.pixels[4 * (j * n + i) + c] = p[c] }
                }
            }
        } else {
            image = Resample.resize(sourceWidth: n, sourceHeight: n, width: side, height: side, pixel: cut)
        }
        return FramedPhoto(
            image: image, background: bg, objectBox: (x0, y0, x1, y1),
            description: "\(W)x\(H) photo, \(what) to \(side)x\(side)", square: (ox, oy, n))
    }

    /// Another image of the photo's size (a mask) cut and resampled exactly as `framed` was:
    /// values (H, W) in [0, 1] -> (s, s), `outside` where the square leaves the image.
    public static func frame(
        _ values: [Float], width W: Int, height H: Int, like framed: FramedPhoto, outside: Float
    ) -> [Float] {
        let (ox, oy, n) = framed.square, side = framed.image.width
        let image = Resample.resize(sourceWidth: n, sourceHeight: n, width: side, height: side) { i, j in
            let x = ox + i, y = oy + j
            guard x >= 0, x < W, y >= 0, y < H else { return SIMD4(repeating: outside) }
            return SIMD4(repeating: values[y * W + x])
        }
        return (0..<(side * side)).map { image.pixels[4 * $0] }
    }
}
