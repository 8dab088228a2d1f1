// Channel-first feature images to channel-last planes. B batch, P planes, C channels per plane,
// H W plane size.

/// planes (B, P, H, W, C) from an image (B, P C, H, W): a convolutional generator's output (NCHW,
/// its channels grouped plane by plane) laid out as the bilinear sampler reads planes, one texel's
/// channels contiguous.
public enum PlaneSplit {
    public static func forward(
        planes: UnsafeMutablePointer<Float>,  // (B, P, H, W, C)
        image: UnsafePointer<Float>,  // (B, P C, H, W)
        B: Int, P: Int, C: Int, H: Int, W: Int
    ) {
        let HW = H * W
        Parallel.forRanges(B * P, grain: 1) { r in
            for bp in r {
                let src = image + bp * C * HW, dst = planes + bp * HW * C
                for c in 0..<C {
                    let s = src + c * HW
                    for i in 0..<HW { dst[i * C + c] = s[i] }
                }
            }
        }
    }

    /// dImage (B, P C, H, W) += dPlanes (B, P, H, W, C) moved back.
    public static func backward(
        dImage: UnsafeMutablePointer<Float>,  // (B, P C, H, W)
        dPlanes: UnsafePointer<Float>,  // (B, P, H, W, C)
        B: Int, P: Int, C: Int, H: Int, W: Int
    ) {
        let HW = H * W
        Parallel.forRanges(B * P, grain: 1) { r in
            for bp in r {
                let dst = dImage + bp * C * HW, src = dPlanes + bp * HW * C
                for c in 0..<C {
                    let d = dst + c * HW
                    for i in 0..<HW { d[i] += src[i * C + c] }
                }
            }
        }
    }
}
