// Nearest-neighbour upsampling by two, NCHW. B batch, C channels, H W input size (output 2H x 2W).

/// out (B, C, 2H, 2W): each input pixel repeated over a 2x2 block. With a 3x3 convolution after it,
/// this is the upsampling of the conv generator (no transposed-convolution checkerboard).
public enum Upsample2x {
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (B, C, 2H, 2W)
        inp: UnsafePointer<Float>,  // (B, C, H, W)
        B: Int, C: Int, H: Int, W: Int
    ) {
        Parallel.forRanges(B * C * H, grain: max(1, 8192 / max(1, W))) { rows in
            for row in rows {
                let src = inp + row * W
                let dst = out + row * 4 * W  // output rows 2y and 2y + 1 of the same plane
                for x in 0..<W {
                    let v = src[x]
                    dst[2 * x] = v
                    dst[2 * x + 1] = v
                    dst[2 * W + 2 * x] = v
                    dst[2 * W + 2 * x + 1] = v
                }
            }
        }
    }

    /// dInp (B, C, H, W) += the sum of dOut over each 2x2 block.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>,  // (B, C, H, W)
        dOut: UnsafePointer<Float>,  // (B, C, 2H, 2W)
        B: Int, C: Int, H: Int, W: Int
    ) {
        Parallel.forRanges(B * C * H, grain: max(1, 8192 / max(1, W))) { rows in
            for row in rows {
                let src = dOut + row * 4 * W
                let dst = dInp + row * W
                for x in 0..<W {
                    dst[x] += src[2 * x] + src[2 * x + 1] + src[2 * W + 2 * x] + src[2 * W + 2 * x + 1]
                }
            }
        }
    }
}
