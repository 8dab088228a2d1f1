// 2D convolution, NCHW, square kernels, as im2col + one sgemm over the whole batch.
// B batch, Ci input channels, Co output channels, H W input size, Ho Wo output size,
// K kernel size, S stride, P zero padding.

/// Sizes of a 2D convolution.
public struct Conv2dShape: Sendable, Equatable, Codable {
    public var B, Ci, H, W, Co, K, S, P: Int
    public init(B: Int, Ci: Int, H: Int, W: Int, Co: Int, K: Int, S: Int = 1, P: Int = 0) {
        self.B = B
        self.Ci = Ci
        self.H = H
        self.W = W
        self.Co = Co
        self.K = K
        self.S = S
        self.P = P
    }
    public var Ho: Int { (H + 2 * P - K) / S + 1 }
    public var Wo: Int { (W + 2 * P - K) / S + 1 }
    /// Rows of the im2col matrix: Ci * K * K.
    public var patch: Int { Ci * K * K }
    /// Columns of the im2col matrix: B * Ho * Wo.
    public var columns: Int { B * Ho * Wo }
    public var inputCount: Int { B * Ci * H * W }
    public var outputCount: Int { B * Co * Ho * Wo }
    public var weightCount: Int { Co * Ci * K * K }
}

/// out (B, Co, Ho, Wo) = weight (Co, Ci, K, K) ⋆ inp (B, Ci, H, W) + bias (Co).
public enum Conv2d {
    /// col (Ci*K*K, B*Ho*Wo) from inp (B, Ci, H, W); rows are independent, so both cores split them.
    static func im2col(col: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, _ s: Conv2dShape) {
        let Ho = s.Ho, Wo = s.Wo, L = s.columns
        Parallel.forRanges(s.patch, grain: max(1, 16384 / max(1, L))) { rows in
            for r in rows {
                let ci = r / (s.K * s.K), ky = (r / s.K) % s.K, kx = r % s.K
                var dst = col + r * L
                for b in 0..<s.B {
                    let plane = inp + (b * s.Ci + ci) * s.H * s.W
                    for oy in 0..<Ho {
                        let iy = oy * s.S - s.P + ky
                        if iy < 0 || iy >= s.H {
                            dst.update(repeating: 0, count: Wo)
                        } else {
                            let src = plane + iy * s.W
                            for ox in 0..<Wo {
                                let ix = ox * s.S - s.P + kx
                                dst[ox] = (ix >= 0 && ix < s.W) ? src[ix] : 0
                            }
                        }
                        dst += Wo
                    }
                }
            }
        }
    }

    /// dInp (B, Ci, H, W) += col2im(dCol (Ci*K*K, B*Ho*Wo)); each input channel is owned by one thread.
    static func col2im(dInp: UnsafeMutablePointer<Float>, dCol: UnsafePointer<Float>, _ s: Conv2dShape) {
        let Ho = s.Ho, Wo = s.Wo, L = s.columns, KK = s.K * s.K
        Parallel.forRanges(s.Ci, grain: 1) { channels in
            for ci in channels {
                for kk in 0..<KK {
                    let ky = kk / s.K, kx = kk % s.K
                    var src = dCol + (ci * KK + kk) * L
                    for b in 0..<s.B {
                        let plane = dInp + (b * s.Ci + ci) * s.H * s.W
                        for oy in 0..<Ho {
                            let iy = oy * s.S - s.P + ky
                            if iy >= 0 && iy < s.H {
                                let dst = plane + iy * s.W
                                for ox in 0..<Wo {
                                    let ix = ox * s.S - s.P + kx
                                    if ix >= 0 && ix < s.W { dst[ix] += src[ox] }
                                }
                            }
                            src += Wo
                        }
                    }
                }
            }
        }
    }

    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (B, Co, Ho, Wo)
        inp: UnsafePointer<Float>,  // (B, Ci, H, W)
        weight: UnsafePointer<Float>,  // (Co, Ci, K, K)
        bias: UnsafePointer<Float>?,  // (Co)
        _ s: Conv2dShape, oneDNN: Bool = OneDNN.enabled
    ) {
        if oneDNN {
            let done = Scratch.with(s.Co) { zeros in  // (Co): oneDNN always adds a bias
                if bias == nil { zeros.initialize(repeating: 0, count: s.Co) }
                return OneDNN.forward(
                    OneDNN.spec(s), out: out, inp: inp, weight: weight, bias: bias ?? UnsafePointer(zeros))
            }
            if done { return }
        }
        let L = s.columns, HW = s.Ho * s.Wo
        Scratch.with(s.patch * L) { col in  // (Ci*K*K, B*Ho*Wo)
            Scratch.with(s.Co * L) { tmp in  // (Co, B, Ho*Wo)
                im2col(col: col, inp: inp, s)
                BLAS.sgemm(
                    transA: false, transB: false, M: s.Co, N: L, K: s.patch, A: weight, lda: s.patch, B: col, ldb: L,
                    beta: 0, C: tmp, ldc: L)
                // (Co, B, HW) -> (B, Co, HW), adding the bias.
                Parallel.forRanges(s.B * s.Co, grain: max(1, 16384 / max(1, HW))) { r in
                    for bc in r {
                        let b = bc / s.Co, c = bc % s.Co
                        let src = tmp + (c * s.B + b) * HW, dst = out + bc * HW
                        let bv = bias?[c] ?? 0
                        for i in 0..<HW { dst[i] = src[i] + bv }
                    }
                }
            }
        }
    }

    public static func backward(
        dInp: UnsafeMutablePointer<Float>?,  // (B, Ci, H, W)
        dWeight: UnsafeMutablePointer<Float>?,  // (Co, Ci, K, K)
        dBias: UnsafeMutablePointer<Float>?,  // (Co)
        dOut: UnsafePointer<Float>,  // (B, Co, Ho, Wo)
        inp: UnsafePointer<Float>,  // (B, Ci, H, W)
        weight: UnsafePointer<Float>,  // (Co, Ci, K, K)
        _ s: Conv2dShape, oneDNN: Bool = OneDNN.enabled
    ) {
        if oneDNN && backwardOneDNN(dInp: dInp, dWeight: dWeight, dBias: dBias, dOut: dOut, inp: inp, weight: weight, s)
        {
            return
        }
        let L = s.columns, HW = s.Ho * s.Wo
        Scratch.with(s.Co * L) { dT in  // (Co, B, Ho*Wo)
            Parallel.forRanges(s.B * s.Co, grain: max(1, 16384 / max(1, HW))) { r in
                for bc in r {
                    let b = bc / s.Co, c = bc % s.Co
                    (dT + (c * s.B + b) * HW).update(from: dOut + bc * HW, count: HW)
                }
            }
            if let dBias {
                for c in 0..<s.Co {
                    var acc: Float = 0
                    let row = dT + c * L
                    for i in 0..<L { acc += row[i] }
                    dBias[c] += acc
                }
            }
            if dWeight == nil && dInp == nil { return }
            Scratch.with(s.patch * L) { col in  // (Ci*K*K, B*Ho*Wo)
                if let dWeight {
                    // Recomputed rather than kept from forward: it is cheap next to the sgemm and often large.
                    im2col(col: col, inp: inp, s)
                    BLAS.sgemm(
                        transA: false, transB: true, M: s.Co, N: s.patch, K: L, A: dT, lda: L, B: col, ldb: L,
                        beta: 1, C: dWeight, ldc: s.patch)
                }
                if let dInp {
                    BLAS.sgemm(
                        transA: true, transB: false, M: s.patch, N: L, K: s.Co, A: weight, lda: s.patch, B: dT, ldb: L,
                        beta: 0, C: col, ldc: L)
                    col2im(dInp: dInp, dCol: col, s)
                }
            }
        }
    }

    /// `backward` on oneDNN: its results go to scratch and are added into the gradients (oneDNN
    /// overwrites). False, with nothing added, where oneDNN cannot run the shape.
    static func backwardOneDNN(
        dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ s: Conv2dShape
    ) -> Bool {
        let spec = OneDNN.spec(s)
        let ok = Scratch.with(s.weightCount) { dW in  // (Co, Ci, K, K)
            Scratch.with(s.inputCount) { dX in  // (B, Ci, H, W)
                // Both first, then both added: a failure adds nothing.
                if dWeight != nil && !OneDNN.backwardWeights(spec, dWeight: dW, inp: inp, dOut: dOut) { return false }
                if dInp != nil && !OneDNN.backwardData(spec, dInp: dX, dOut: dOut, weight: weight) { return false }
                if let dWeight { Pointwise.add(into: dWeight, dW, count: s.weightCount) }
                if let dInp { Pointwise.add(into: dInp, dX, count: s.inputCount) }
                return true
            }
        }
        guard ok else { return false }
        if let dBias { ChannelSum.accumulate(into: dBias, dOut, B: s.B, C: s.Co, HW: s.Ho * s.Wo) }
        return true
    }

    /// Direct seven-loop convolution accumulated in Double: the reference for `forward`.
    public static func forwardReference(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ s: Conv2dShape
    ) {
        let Ho = s.Ho, Wo = s.Wo
        for b in 0..<s.B {
            for co in 0..<s.Co {
                for oy in 0..<Ho {
                    for ox in 0..<Wo {
                        var acc = Double(bias?[co] ?? 0)
                        for ci in 0..<s.Ci {
                            for ky in 0..<s.K {
                                for kx in 0..<s.K {
                                    let iy = oy * s.S - s.P + ky, ix = ox * s.S - s.P + kx
                                    guard iy >= 0, iy < s.H, ix >= 0, ix < s.W else { continue }
                                    acc +=
                                        Double(inp[((b * s.Ci + ci) * s.H + iy) * s.W + ix])
                                        * Double(weight[((co * s.Ci + ci) * s.K + ky) * s.K + kx])
                                }
                            }
                        }
                        out[((b * s.Co + co) * Ho + oy) * Wo + ox] = Float(acc)
                    }
                }
            }
        }
    }
}
