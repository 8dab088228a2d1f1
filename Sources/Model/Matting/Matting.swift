import Foundation
import Imaging
import NeuralCore

// H W photo size, S the network's side.

/// Finding the object in a photo with a background: whether there is a background at all, the
/// object's mask from the matting network, and the photo with the background made white.
public enum Matting {
    /// Fraction of the border's pixels unlike the border's colour above which the photo has a
    /// background (a plain backdrop with an object cut by the frame stays well under it).
    static let busyBorderFraction = 0.25

    /// How far (largest channel difference) the border's typical colour may lie from white, the
    /// model's background, for a plain border to count as no background (paper, an overexposed
    /// studio sweep); a grey road, a coloured wall or a dark floor filling the border is one.
    static let whiteBorderTolerance: Float = 0.12

    /// Whether the photo is not on a plain white background: much of its border differs from the
    /// border's typical colour (streets, rooms, foliage), or that colour is not white.
    public static func hasBackground(_ photo: RGBAImage) -> Bool {
        let W = photo.width, H = photo.height
        var rgb = [Float](repeating: 1, count: W * H * 3)
        for k in 0..<(W * H) {
            let a = photo.pixels[4 * k + 3]
            for c in 0..<3 { rgb[3 * k + c] = a * photo.pixels[4 * k + c] + (1 - a) }
        }
        let bg = PhotoFraming.borderColour(rgb, width: W, height: H)
        if (SIMD3<Float>(repeating: 1) - bg).max() > whiteBorderTolerance { return true }
        var ring = 0, busy = 0
        for y in 0..<H {
            for x in 0..<W where y == 0 || y == H - 1 || x == 0 || x == W - 1 {
                ring += 1
                if PhotoFraming.isForeground(rgb, y * W + x, background: bg) { busy += 1 }
            }
        }
        return Double(busy) > busyBorderFraction * Double(ring)
    }

    /// The object's mask (H, W) in 0...1: the photo padded to a square (edges repeated), resampled
    /// to the network's side, predicted, and the probabilities resampled back.
    public static func predict(_ network: MattingNetwork, photo: RGBAImage, reading: MaskReading = .init()) -> [Float] {
        let W = photo.width, H = photo.height, side = max(W, H), S = network.config.inputSize
        let x0 = (side - W) / 2, y0 = (side - H) / 2
        var square = RGBAImage(width: side, height: side)
        for y in 0..<side {
            for x in 0..<side {
                let sx = min(max(x - x0, 0), W - 1), sy = min(max(y - y0, 0), H - 1)
                let a = photo.pixels[4 * (sy * W + sx) + 3]
                for c in 0..<3 { square[x, y, c] = a * photo.pixels[4 * (sy * W + sx) + c] + (1 - a) }
                square[x, y, 3] = 1
            }
        }
        let small = Resample.resize(square, width: S, height: S)
        let input = Tensor([1, 3, S, S])
        for j in 0..<S { for i in 0..<S { for c in 0..<3 { input[(c * S + j) * S + i] = small[i, j, c] } } }
        let mask = probabilities(network, image: input.data, reading: reading)
        var probability = RGBAImage(width: S, height: S)
        for k in 0..<(S * S) { for c in 0..<3 { probability.pixels[4 * k + c] = mask[k] } }
        let back = Resample.resize(probability, width: side, height: side)
        return (0..<(W * H)).map { k in back[k % W + x0, k / W + y0, 0] }
    }

    /// How the mask is read from the network.
    public struct MaskReading: Sendable, Equatable {
        /// Average with the prediction on the mirrored photo (a mirrored car is still a car, and
        /// the two predictions err in different places).
        var mirrored = true
        /// Keep only the mask's largest region (`MaskCleanup`).
        var largestRegion = true
        public init(mirrored: Bool = true, largestRegion: Bool = true) {
            self.mirrored = mirrored
            self.largestRegion = largestRegion
        }
    }

    /// image (3, S, S) in [0, 1] at the network's side -> the object's probability (S, S).
    public static func probabilities(
        _ network: MattingNetwork, image: UnsafePointer<Float>, reading: MaskReading = .init()
    ) -> [Float] {
        let S = network.config.inputSize, B = reading.mirrored ? 2 : 1
        let batch = Tensor([B, 3, S, S])  // the photo, then its mirror image
        for c in 0..<3 {
            for j in 0..<S {
                for i in 0..<S {
                    batch[(c * S + j) * S + i] = image[(c * S + j) * S + i]
                    if B == 2 { batch[((3 + c) * S + j) * S + S - 1 - i] = image[(c * S + j) * S + i] }
                }
            }
        }
        let logits = network.forward(images: batch.data, B: B).logits  // (B, 1, S, S)
        var mask = [Float](repeating: 0, count: S * S)  // (S, S)
        for j in 0..<S {
            for i in 0..<S {
                var p = Sigmoid.value(logits[j * S + i])
                if B == 2 { p = (p + Sigmoid.value(logits[S * S + j * S + S - 1 - i])) / 2 }
                mask[j * S + i] = p
            }
        }
        return reading.largestRegion ? MaskCleanup.keepLargestRegion(mask, width: S, height: S) : mask
    }

    /// The photo over white where the mask says background: what the model's views look like.
    public static func whiteBackground(_ photo: RGBAImage, mask: [Float]) -> RGBAImage {
        var out = photo
        for k in 0..<(photo.width * photo.height) {
            let a = mask[k] * photo.pixels[4 * k + 3]
            for c in 0..<3 { out.pixels[4 * k + c] = a * photo.pixels[4 * k + c] + (1 - a) }
            out.pixels[4 * k + 3] = 1
        }
        return out
    }
}
