import CShims
import FileIO
import Foundation

// F frames of H x W pixels, K ≤ 256 palette colours.

/// Animated GIFs (giflib): one palette for the whole animation by median cut over its pixels,
/// each pixel mapped to the nearest palette colour; loops forever.
public enum AnimatedGIF {
    /// Pixels the median cut looks at, at most (a sample of every frame).
    static let samplePixels = 200_000

    /// Up to `colors` palette entries (K, RGB bytes) for the pixels (N, RGB bytes): median cut.
    static func palette(_ pixels: [SIMD3<UInt8>], colors: Int) -> [SIMD3<UInt8>] {
        guard !pixels.isEmpty else { return [SIMD3(255, 255, 255)] }
        var boxes: [[SIMD3<UInt8>]] = [pixels]
        while boxes.count < colors {
            // Split the box with the widest channel range at that channel's median.
            var best = -1, bestRange = 0, bestChannel = 0
            for (b, box) in boxes.enumerated() where box.count > 1 {
                for c in 0..<3 {
                    var lo: UInt8 = 255, hi: UInt8 = 0
                    for p in box {
                        lo = min(lo, p[c])
                        hi = max(hi, p[c])
                    }
                    if Int(hi) - Int(lo) > bestRange {
                        bestRange = Int(hi) - Int(lo)
                        best = b
                        bestChannel = c
                    }
                }
            }
            guard best >= 0 else { break }
            let sorted = boxes[best].sorted { $0[bestChannel] < $1[bestChannel] }
            let half = sorted.count / 2
            boxes[best] = Array(sorted[..<half])
            boxes.append(Array(sorted[half...]))
        }
        return boxes.map { box in
            var sum = SIMD3<Int>.zero
            for p in box { sum &+= SIMD3(Int(p.x), Int(p.y), Int(p.z)) }
            let n = max(1, box.count)
            return SIMD3(UInt8(sum.x / n), UInt8(sum.y / n), UInt8(sum.z / n))
        }
    }

    /// Writes frames (all of one size, opaque RGB used) as an animation of `delay` seconds a frame.
    public static func write(_ frames: [RGBAImage], delay: Double, to path: String, colors: Int = 256) throws {
        let data: Data
        do { data = try encode(frames, delay: delay, colors: colors) } catch let e as GIFError {
            throw FileError(path: path, reason: e.reason)
        }
        try AtomicFile.write(data, to: path)
    }

    /// Why frames cannot become a GIF.
    public struct GIFError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The GIF bytes of frames (all of one size, opaque RGB used), `delay` seconds a frame, one
    /// palette of at most `colors` for the whole animation.
    public static func encode(_ frames: [RGBAImage], delay: Double, colors: Int = 256) throws -> Data {
        guard let first = frames.first else { throw GIFError(reason: "an animation needs a frame") }
        let W = first.width, H = first.height
        guard frames.allSatisfy({ $0.width == W && $0.height == H }) else {
            throw GIFError(reason: "the frames differ in size")
        }
        func rgb(_ f: RGBAImage, _ k: Int) -> SIMD3<UInt8> {
            func b(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
            return SIMD3(b(f.pixels[4 * k]), b(f.pixels[4 * k + 1]), b(f.pixels[4 * k + 2]))
        }
        let total = frames.count * W * H, stride = max(1, total / samplePixels)
        var sample: [SIMD3<UInt8>] = []
        sample.reserveCapacity(total / stride + 1)
        for n in Swift.stride(from: 0, to: total, by: stride) { sample.append(rgb(frames[n / (W * H)], n % (W * H))) }
        let pal = palette(sample, colors: max(2, min(256, colors)))
        // Nearest palette entry, cached per 5-bit colour cell.
        var cache = [Int16](repeating: -1, count: 32 * 32 * 32)
        func nearest(_ p: SIMD3<UInt8>) -> UInt8 {
            let key = (Int(p.x >> 3) << 10) | (Int(p.y >> 3) << 5) | Int(p.z >> 3)
            if cache[key] >= 0 { return UInt8(cache[key]) }
            var best = 0, bestDistance = Int.max
            for (i, q) in pal.enumerated() {
                let d = SIMD3(Int(p.x) - Int(q.x), Int(p.y) - Int(q.y), Int(p.z) - Int(q.z))
                let e = d.x * d.x + d.y * d.y + d.z * d.z
                if e < bestDistance {
                    bestDistance = e
                    best = i
                }
            }
            cache[key] = Int16(best)
            return UInt8(best)
        }
        var indices = [UInt8](repeating: 0, count: total)
        for (f, frame) in frames.enumerated() {
            for k in 0..<(W * H) { indices[f * W * H + k] = nearest(rgb(frame, k)) }
        }
        let flat = pal.flatMap { [$0.x, $0.y, $0.z] }
        let centiseconds = Int32(max(1, min(65535, (delay * 100).rounded())))
        var err = [CChar](repeating: 0, count: 256)
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var count = 0
        let rc = nv_gif_encode(
            indices, Int32(W), Int32(H), Int32(frames.count), flat, Int32(pal.count), centiseconds, &bytes, &count,
            &err, Int32(err.count))
        defer { nv_free(bytes) }
        guard rc == 0, let bytes else { throw GIFError(reason: String(cString: err)) }
        return Data(bytes: bytes, count: count)
    }
}

extension AnimatedGIF {
    /// What a GIF holds, as giflib decodes it.
    public struct Info: Equatable, Sendable {
        public var width: Int, height: Int, frames: Int
        public var loops: Bool
        /// Hundredths of a second the first frame shows.
        public var firstDelay: Int
        public var firstPixel: SIMD3<UInt8>
    }

    public static func info(_ path: String) throws -> Info {
        var w: Int32 = 0, h: Int32 = 0, f: Int32 = 0, loops: Int32 = 0, delay: Int32 = 0
        var pixel = [UInt8](repeating: 0, count: 3)
        var err = [CChar](repeating: 0, count: 256)
        guard nv_gif_read_info(path, &w, &h, &f, &loops, &delay, &pixel, &err, Int32(err.count)) == 0 else {
            throw FileError(path: path, reason: String(cString: err))
        }
        return Info(
            width: Int(w), height: Int(h), frames: Int(f), loops: loops != 0, firstDelay: Int(delay),
            firstPixel: SIMD3(pixel[0], pixel[1], pixel[2]))
    }
}
