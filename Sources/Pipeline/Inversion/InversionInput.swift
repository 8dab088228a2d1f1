import FileIO
import Foundation
import Imaging
import Model

// K photos of one object, P the side of the square they are framed to, S a model view's side.

/// Photos as an inversion takes them: read, with the background removed, framed like the rig's
/// views to one square side, with the pixels the loss ignores and the footprint of a photo pixel on
/// the model's views. `invert` builds one from files (`read`), `eval` from a test set's views
/// (`init(images:...)`); both hand it to `Inversion.run` through `photos` and `settings(_:)`.
public struct InversionInput {
    /// The photos as the model sees them, each (P, P).
    var images: [RGBAImage]
    /// Per photo, the pixels the loss ignores (P * P); nil: none.
    var ignore: [[Bool]?]
    /// Rays averaged into one photo pixel: a photo smaller than the model's views is compared with
    /// the render's average over each pixel's footprint (1: one ray a pixel).
    public var footprint: Int
    /// Whether the photos say nothing about colour (compared in luminance only).
    public var grayscale: Bool
    /// How each photo was framed, for the log ("; "-separated; empty when given framed).
    public var framing = ""
    /// The first photo's predicted object mask (its own size) and the photo with that mask as its
    /// alpha, when its background was removed.
    public var mask: RGBAImage? = nil
    var cutout: RGBAImage? = nil
    /// Some pixels are left out of the loss (a user's `--mask`, an evaluation's occluder).
    public var masked: Bool { ignore.contains { $0 != nil } }

    /// The side P of the framed photos.
    public var side: Int { images[0].width }

    /// Photos already framed, all (P, P), for views of side `viewSide`; `ignore`: none, or one
    /// entry per photo.
    public init(images: [RGBAImage], ignore: [[Bool]?] = [], viewSide: Int, grayscale: Bool) {
        precondition(!images.isEmpty && images.allSatisfy { $0.width == images[0].width && $0.height == $0.width })
        precondition(ignore.isEmpty || ignore.count == images.count, "one mask entry per photo")
        self.images = images
        self.ignore = ignore.isEmpty ? Array(repeating: nil, count: images.count) : ignore
        self.grayscale = grayscale
        footprint = Self.footprint(viewSide: viewSide, photoSide: images[0].width)
    }

    /// A ratio of sides under this is rendered one ray a pixel: a slightly smaller photo gains
    /// nothing from averaging, and each footprint costs its rays.
    static let footprintRatio = 1.5
    /// The most rays one photo pixel averages (a 16x16 photo of a 128 model would take 64).
    static let maxFootprint = 16

    /// Rays a photo pixel averages when a photo of side `photoSide` stands for views of `viewSide`.
    public static func footprint(viewSide: Int, photoSide: Int) -> Int {
        let ratio = Double(viewSide) / Double(photoSide)
        return ratio > footprintRatio ? min(maxFootprint, Int(ratio * ratio)) : 1
    }

    /// The photos and the ignored pixels as `Inversion.run` takes them.
    public var photos: [(pixels: [Float], ignore: [Bool]?)] { zip(images, ignore).map { ($0.rgb, $1) } }

    /// `base` with what the photos decide: their footprint and whether colour counts.
    public func settings(_ base: RefineSettings) -> RefineSettings {
        var s = base
        s.grayscale = grayscale
        if footprint > 1 { s.footprint = footprint }
        return s
    }

    /// The photo with its background made white where the matting network's mask says so, and the
    /// mask (H, W).
    static func matted(_ photo: RGBAImage, with matting: MattingNetwork) -> (image: RGBAImage, mask: [Float]) {
        let mask = Matting.predict(matting, photo: photo)
        return (Matting.whiteBackground(photo, mask: mask), mask)
    }

    /// Reads photos of one object (PNG), removes backgrounds as `request` says, frames them to one
    /// side (the smallest photo's own, up to `viewSide`, unless the request names one) and reads
    /// the request's mask. Errors name the file. `backgroundMask(image, path)` decides, per photo,
    /// whether and how its background goes.
    static func read(
        photos: [String], request: InversionRequest, viewSide: Int,
        backgroundMask: (RGBAImage, String) throws -> [Float]?
    ) throws -> InversionInput {
        precondition(!photos.isEmpty, "at least one photo")
        var raws: [(image: RGBAImage, info: PNG.Info)] = []
        var framings: [FramedPhoto] = []
        var predicted: (mask: RGBAImage, cutout: RGBAImage)? = nil
        for photo in photos {
            var (raw, info) = try PNG.read(photo)
            if let c = PhotoFraming.plainColour(raw) {
                let rgb = [c.x, c.y, c.z].map { String(Int(($0 * 255).rounded())) }.joined(separator: ", ")
                throw FileError(
                    path: photo,
                    reason: "no object found: the photo is one plain colour (RGB \(rgb)), nothing to invert")
            }
            // A photo with a background: the matting network's mask makes everything else white,
            // so the framing finds the object and the loss sees only it (and its silhouette).
            if let m = try backgroundMask(raw, photo) {
                if predicted == nil { predicted = cutout(raw, mask: m) }
                raw = Matting.whiteBackground(raw, mask: m)
            }
            do {
                framings.append(
                    try PhotoFraming.prepare(
                        raw, side: request.photoSize ?? viewSide, mode: request.crop,
                        shrinkOnly: request.photoSize == nil))
            } catch {
                throw FileError(path: photo, reason: "\(error)")
            }
            raws.append((raw, info))
        }
        // One side for all: the smallest's (the others are framed down to it).
        let P = framings.map(\.image.width).min()!
        for k in framings.indices where framings[k].image.width != P {
            framings[k] = try PhotoFraming.prepare(raws[k].image, side: P, mode: request.crop, shrinkOnly: false)
        }
        let ignore = try request.mask.map {
            try readMask($0, photo: photos[0], size: (raws[0].image.width, raws[0].image.height), like: framings[0])
        }
        // A gray PNG (colour types 0 and 4) says nothing about colour; several are compared in
        // luminance when all are gray.
        let gray = request.grayscale ?? raws.allSatisfy { $0.info.colorType == 0 || $0.info.colorType == 4 }
        var input = InversionInput(
            images: framings.map(\.image), ignore: [ignore] + Array(repeating: nil, count: photos.count - 1),
            viewSide: viewSide, grayscale: gray)
        input.framing = framings.map(\.description).joined(separator: "; ")
        input.mask = predicted?.mask
        input.cutout = predicted?.cutout
        return input
    }

    /// The mask picture (grey) and the photo with the mask as its alpha.
    static func cutout(_ raw: RGBAImage, mask m: [Float]) -> (mask: RGBAImage, cutout: RGBAImage) {
        var maskImage = RGBAImage(width: raw.width, height: raw.height)
        var cutout = raw
        for k in 0..<(raw.width * raw.height) {
            for c in 0..<3 { maskImage.pixels[4 * k + c] = m[k] }
            cutout.pixels[4 * k + 3] = m[k] * raw.pixels[4 * k + 3]
        }
        return (maskImage, cutout)
    }

    /// A user's mask PNG of the photo's size (white above half: ignore) framed like the photo.
    static func readMask(_ path: String, photo: String, size: (Int, Int), like framed: FramedPhoto) throws -> [Bool] {
        let (m, _) = try PNG.read(path)
        guard m.width == size.0, m.height == size.1 else {
            throw FileError(path: path, reason: "is \(m.width)x\(m.height); the photo \(photo) is \(size.0)x\(size.1)")
        }
        var values = [Float](repeating: 0, count: m.width * m.height)  // (H, W) grey x alpha
        for k in 0..<values.count {
            let grey: Float = (m.pixels[4 * k] + m.pixels[4 * k + 1] + m.pixels[4 * k + 2]) / 3
            values[k] = grey * m.pixels[4 * k + 3]
        }
        // Outside the photo (padding) there is nothing to ignore: it is background.
        let ignore = PhotoFraming.frame(values, width: m.width, height: m.height, like: framed, outside: 0).map {
            $0 > 0.5
        }
        guard ignore.contains(false) else {
            throw FileError(path: path, reason: "hides the whole photo: nothing is left to invert")
        }
        return ignore
    }
}
