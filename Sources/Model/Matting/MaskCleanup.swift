// H W mask size.

/// The object is one piece: of the predicted mask's connected regions (probability above one
/// half, 4-connected), only the largest stays; the others are clutter the network took for the
/// car (a kerb stone, a bollard, a patch of shadow) and become background.
public enum MaskCleanup {
    /// Probability above which a pixel belongs to a region.
    public static let threshold: Float = 0.5

    /// mask (H, W) in 0...1 -> the same with every region but the largest set to 0 (pixels at or
    /// under the threshold keep their soft value, so the edges stay as the network drew them).
    public static func keepLargestRegion(_ mask: [Float], width W: Int, height H: Int) -> [Float] {
        precondition(mask.count == W * H, "a mask is (H, W)")
        var label = [Int32](repeating: -1, count: W * H)  // (H, W) region of each object pixel
        var sizes: [Int] = []
        var stack: [Int] = []
        for start in 0..<(W * H) where mask[start] > threshold && label[start] < 0 {
            let id = Int32(sizes.count)
            var size = 0
            label[start] = id
            stack.append(start)
            while let p = stack.popLast() {
                size += 1
                let x = p % W, y = p / W
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && nx < W && ny >= 0 && ny < H {
                    let q = ny * W + nx
                    if mask[q] > threshold && label[q] < 0 {
                        label[q] = id
                        stack.append(q)
                    }
                }
            }
            sizes.append(size)
        }
        guard sizes.count > 1, let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) else { return mask }
        var out = mask
        for p in 0..<(W * H) where label[p] >= 0 && label[p] != Int32(largest) { out[p] = 0 }
        return out
    }
}
