import Imaging
import Model
import NeuralCore
import TestSupport
import XCTest

final class MattingNetworkTests: XCTestCase {
    /// The whole U-Net's backward (encoder, skips, upsampling, decoder, head) against central
    /// differences, through weights of every part.
    func testBackwardMatchesFiniteDifferences() throws {
        var config = MattingConfig()
        config.inputSize = 16
        config.encoder = [3, 4]
        config.decoder = [4, 3]
        // The wiring is what this checks (LeakyReLU's own kink is checked with the op): a slope of
        // one keeps central differences from straddling kinks among the hundreds of activations.
        config.leak = 1
        XCTAssertNil(config.problem)
        var rng = SplitMix64(seed: 31)
        let net = MattingNetwork(config: config, rng: &rng)
        let B = 2
        let images = random([B, 3, 16, 16], &rng, std: 0.5)
        let params = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0.tensor) })
        // Weights scaled down so the logits stay near 1: float32 round-off of large logits would
        // otherwise swamp the central differences (the gradients themselves are exact).
        for (_, t) in net.parameters { for i in 0..<t.count { t[i] *= 0.4 } }
        let checked = ["matting.enc0.w", "matting.enc1.b", "matting.dec0.w", "matting.dec1.w", "matting.head.w"]
        let out = Tensor([B, 1, 16, 16])
        checkGradients(
            "matting network", inputs: checked.map { params[$0]! }, samplesPerInput: 24,
            forward: {
                out.copy(from: net.forward(images: images.data, B: B).logits)
                return out
            },
            backward: { d, g in
                let grads = ParameterGradients(like: net.parameters)
                let acts = net.forward(images: images.data, B: B)
                net.backward(dLogits: d.data, acts: acts, images: images.data, grads: grads)
                for (k, name) in checked.enumerated() {
                    let src = grads[grads.names.firstIndex(of: name)!]
                    for i in 0..<src.count { g[k][i] += src[i] }
                }
            })
        var bad = config
        bad.decoder = [4]
        XCTAssertNotNil(bad.problem)
    }
}

final class MattingDetectionTests: XCTestCase {
    /// A car on white has no background; noise at the border is one; whitening keeps the object's
    /// pixels and whitens the rest.
    func testBackgroundDetectionAndWhitening() {
        var plain = RGBAImage(width: 20, height: 20)
        for y in 6..<14 {
            for x in 4..<16 {
                plain[x, y, 0] = 0.8
                plain[x, y, 1] = 0.1
                plain[x, y, 2] = 0.1
            }
        }
        XCTAssertFalse(Matting.hasBackground(plain))
        // A plain border that is not white (a grey floor filling the frame) is a background too.
        var floor = plain
        for k in 0..<(20 * 20) where plain.pixels[4 * k] == 1 { for c in 0..<3 { floor.pixels[4 * k + c] = 0.4 } }
        XCTAssertTrue(Matting.hasBackground(floor))
        var rng = SplitMix64(seed: 2)
        var busy = plain
        for k in 0..<(20 * 20) {
            for c in 0..<3 where !(plain.pixels[4 * k] == 0.8) { busy.pixels[4 * k + c] = rng.nextFloat() }
        }
        XCTAssertTrue(Matting.hasBackground(busy))
        let mask = (0..<(20 * 20)).map { k -> Float in
            plain.pixels[4 * k] == 0.8 && plain.pixels[4 * k + 1] < 0.2 ? 1 : 0
        }
        let white = Matting.whiteBackground(busy, mask: mask)
        XCTAssertEqual(white[10, 10, 0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(white[0, 0, 1], 1, accuracy: 1e-6)
    }
}

final class MaskCleanupTests: XCTestCase {
    /// Of two blobs the larger stays; the smaller (touching it only at a corner: 4-connectivity)
    /// becomes background; soft pixels under the threshold keep their value.
    func testKeepsTheLargestRegion() {
        let W = 10, H = 8
        var mask = [Float](repeating: 0, count: W * H)
        for y in 1..<5 { for x in 1..<6 { mask[y * W + x] = 0.9 } }  // 20 pixels
        for y in 5..<7 { for x in 6..<8 { mask[y * W + x] = 0.8 } }  // 4 pixels, diagonal neighbour
        mask[0] = 0.3
        let kept = MaskCleanup.keepLargestRegion(mask, width: W, height: H)
        XCTAssertEqual(kept[2 * W + 3], 0.9)
        XCTAssertEqual(kept[5 * W + 6], 0)
        XCTAssertEqual(kept[6 * W + 7], 0)
        XCTAssertEqual(kept[0], 0.3)
        XCTAssertEqual(kept.filter { $0 > MaskCleanup.threshold }.count, 20)
        // One region (or none) comes back as it was.
        let one = MaskCleanup.keepLargestRegion(kept, width: W, height: H)
        XCTAssertEqual(one, kept)
        XCTAssertEqual(MaskCleanup.keepLargestRegion([Float](repeating: 0.1, count: 6), width: 3, height: 2).count, 6)
    }

    /// The mirrored reading of a network is the mirror image of the mirrored photo's: reading a
    /// photo and reading its mirror image give mirrored masks.
    func testMirroredReadingIsSymmetric() {
        var config = MattingConfig()
        config.inputSize = 16
        config.encoder = [3, 4]
        config.decoder = [4, 3]
        var rng = SplitMix64(seed: 5)
        let net = MattingNetwork(config: config, rng: &rng)
        let S = 16
        let image = (0..<(3 * S * S)).map { _ in rng.nextFloat() }  // (3, S, S)
        var mirror = image
        for c in 0..<3 {
            for j in 0..<S { for i in 0..<S { mirror[(c * S + j) * S + i] = image[(c * S + j) * S + S - 1 - i] } }
        }
        let reading = Matting.MaskReading(mirrored: true, largestRegion: false)
        let a = Matting.probabilities(net, image: image, reading: reading)
        let b = Matting.probabilities(net, image: mirror, reading: reading)
        for j in 0..<S { for i in 0..<S { XCTAssertEqual(a[j * S + i], b[j * S + S - 1 - i], accuracy: 1e-5) } }
        let plain = Matting.probabilities(net, image: image, reading: .init(mirrored: false, largestRegion: false))
        XCTAssertNotEqual(plain, a, "the mirrored reading averages two different predictions")
    }
}
