// Channel concatenation (a U-Net's skip connections). B images, C1 C2 channels, P = H W pixels.

/// out (B, C1 + C2, H, W) = [a (B, C1, H, W), b (B, C2, H, W)] along channels.
public enum ChannelConcat {
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (B, C1 + C2, H, W)
        a: UnsafePointer<Float>,  // (B, C1, H, W)
        b: UnsafePointer<Float>,  // (B, C2, H, W)
        B: Int, C1: Int, C2: Int, P: Int
    ) {
        for n in 0..<B {
            (out + n * (C1 + C2) * P).update(from: a + n * C1 * P, count: C1 * P)
            (out + (n * (C1 + C2) + C1) * P).update(from: b + n * C2 * P, count: C2 * P)
        }
    }

    /// Adds the halves of dOut into dA and dB (either may be nil: no gradient wanted there).
    public static func backward(
        dA: UnsafeMutablePointer<Float>?,  // (B, C1, H, W)
        dB: UnsafeMutablePointer<Float>?,  // (B, C2, H, W)
        dOut: UnsafePointer<Float>,  // (B, C1 + C2, H, W)
        B: Int, C1: Int, C2: Int, P: Int
    ) {
        for n in 0..<B {
            if let dA {
                let src = dOut + n * (C1 + C2) * P, dst = dA + n * C1 * P
                for i in 0..<(C1 * P) { dst[i] += src[i] }
            }
            if let dB {
                let src = dOut + (n * (C1 + C2) + C1) * P, dst = dB + n * C2 * P
                for i in 0..<(C2 * P) { dst[i] += src[i] }
            }
        }
    }
}
