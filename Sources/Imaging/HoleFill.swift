// H W image size.

/// Fills the hidden pixels of an image from the visible ones around them, ring by ring from the
/// hole's edge inwards (each hidden pixel next to known ones takes their mean): a smooth guess
/// where a mask hides an occluder, so a network that sees the whole image (the encoder) is not
/// shown the occluder itself.
public enum HoleFill {
    /// rgb (H, W, 3), hidden (H, W) -> rgb with every hidden pixel filled (unchanged when nothing
    /// is visible: there is nothing to fill from).
    public static func fill(_ rgb: [Float], hidden: [Bool], width W: Int, height H: Int) -> [Float] {
        precondition(rgb.count == W * H * 3 && hidden.count == W * H, "an image is (H, W, 3), its mask (H, W)")
        var out = rgb
        var known = hidden.map { !$0 }  // (H, W)
        guard known.contains(true) else { return rgb }
        var front = (0..<(W * H)).filter { !known[$0] }
        while !front.isEmpty {
            var filled: [(Int, SIMD3<Float>)] = []
            var rest: [Int] = []
            for p in front {
                let x = p % W, y = p / W
                var sum = SIMD3<Float>(repeating: 0), n: Float = 0
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && nx < W && ny >= 0 && ny < H && known[ny * W + nx] {
                    let q = 3 * (ny * W + nx)
                    sum += SIMD3(out[q], out[q + 1], out[q + 2])
                    n += 1
                }
                if n > 0 { filled.append((p, sum / n)) } else { rest.append(p) }
            }
            // A ring is filled from the pixels known before it, then becomes known itself.
            for (p, c) in filled {
                for k in 0..<3 { out[3 * p + k] = c[k] }
                known[p] = true
            }
            front = rest
        }
        return out
    }
}
