import CShims

// A whole MLP (Linear+ReLU ... Linear) evaluated a cache-sized block of rows at a time.
// N rows, L layers, I_l / O_l the widths of layer l, T threads, K rows per block.
//
// Layer by layer over all N rows, every activation (N x 64 floats = 50 MB at N = 196608) streams
// through DRAM several times and memory bandwidth, not arithmetic, sets the speed. Here each block
// of K rows goes through every layer while its activations stay in L2, and the backward pass
// recomputes the block's forward instead of reading stored activations: a third more arithmetic,
// a tenth of the memory traffic.

/// One dense layer: weight (O, I) and bias (O), PyTorch layout.
public struct MLPLayer {
    public var weight: UnsafePointer<Float>
    public var bias: UnsafePointer<Float>
    public var inputs: Int
    public var outputs: Int
    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, inputs: Int, outputs: Int) {
        self.weight = weight
        self.bias = bias
        self.inputs = inputs
        self.outputs = outputs
    }
}

public enum FusedMLP {
    /// Rows per block: 128 rows x 64 floats x ~6 live buffers stays well inside a 512 KB L2.
    static let blockRows = 128

    /// True when the fused kernels can run these layers: AVX2, every width a multiple of 8 except
    /// the last output (padded to 8 internally), and cache-sized weights.
    public static func supports(_ layers: [MLPLayer], kernel: Linear.Kernel = Linear.preferred) -> Bool {
        guard Linear.fusedAvailable, kernel == .fused, !layers.isEmpty else { return false }
        for (l, layer) in layers.enumerated() {
            let last = l == layers.count - 1
            guard layer.inputs % 8 == 0, last || layer.outputs % 8 == 0, layer.outputs <= 256, layer.inputs <= 256
            else { return false }
            if l > 0 && layer.inputs != layers[l - 1].outputs { return false }
        }
        return true
    }

    /// Transposed, padded weights for the kernels: W^T (I, O8) and bias (O8), O8 = O rounded up to 8.
    final class Packed {
        let wt: [UnsafeMutablePointer<Float>]  // per layer (I, O8)
        let w: [UnsafeMutablePointer<Float>]  // per layer (O8, I), zero rows past O
        let b: [UnsafeMutablePointer<Float>]  // per layer (O8)
        let o8: [Int]
        init(_ layers: [MLPLayer]) {
            var wt: [UnsafeMutablePointer<Float>] = [], w: [UnsafeMutablePointer<Float>] = [],
                b: [UnsafeMutablePointer<Float>] = [], o8: [Int] = []
            for layer in layers {
                let I = layer.inputs, O = layer.outputs, P = (O + 7) / 8 * 8
                let t = UnsafeMutablePointer<Float>.allocate(capacity: I * P)
                t.initialize(repeating: 0, count: I * P)
                let m = UnsafeMutablePointer<Float>.allocate(capacity: P * I)
                m.initialize(repeating: 0, count: P * I)
                let v = UnsafeMutablePointer<Float>.allocate(capacity: P)
                v.initialize(repeating: 0, count: P)
                for o in 0..<O {
                    v[o] = layer.bias[o]
                    for i in 0..<I {
                        t[i * P + o] = layer.weight[o * I + i]
                        m[o * I + i] = layer.weight[o * I + i]
                    }
                }
                wt.append(t)
                w.append(m)
                b.append(v)
                o8.append(P)
            }
            self.wt = wt
            self.w = w
            self.b = b
            self.o8 = o8
        }
        deinit { for p in wt + w + b { p.deallocate() } }
    }

    /// out (N, O_last) = layer_L(relu(... relu(layer_1(inp (N, I_1))))).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, layers: [MLPLayer], N: Int)
    {
        precondition(supports(layers), "FusedMLP.forward: unsupported layer shapes")
        let packed = Packed(layers)
        let L = layers.count, Olast = layers[L - 1].outputs, widest = packed.o8.max()!
        if Profiler.enabled { for l in layers { Profiler.gemm(M: N, N: l.outputs, K: l.inputs, transB: true) } }
        let K = blockRows
        Parallel.forRanges(N, grain: 2 * K) { rows in
            let a = UnsafeMutablePointer<Float>.allocate(capacity: K * widest),
                c = UnsafeMutablePointer<Float>.allocate(capacity: K * widest)
            defer {
                a.deallocate()
                c.deallocate()
            }
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let k = min(K, rows.upperBound - r0)
                var src = inp + r0 * layers[0].inputs
                var cur = a, next = c
                for l in 0..<L {
                    let I = layers[l].inputs, P = packed.o8[l]
                    nv_gemm_nn_small(
                        cur, Int32(P), src, Int32(I), packed.wt[l], Int32(P), Int32(k), Int32(P), Int32(I), 0,
                        packed.b[l],
                        l < L - 1 ? 1 : 0)
                    src = UnsafePointer(cur)
                    swap(&cur, &next)
                }
                let last = packed.o8[L - 1]
                for r in 0..<k { for o in 0..<Olast { out[(r0 + r) * Olast + o] = src[r * last + o] } }
                r0 += k
            }
        }
    }

    /// Adds into dInp (N, I_1) if given and, when `weightGradients`, into every layer's dWeight (O, I)
    /// / dBias (O), from dOut (N, O_last). Recomputes the forward per block. Without weight gradients
    /// (inverting a frozen decoder) a third of the arithmetic is skipped.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>?, dWeights: [UnsafeMutablePointer<Float>],
        dBiases: [UnsafeMutablePointer<Float>],
        dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, layers: [MLPLayer], N: Int,
        weightGradients: Bool = true
    ) {
        precondition(supports(layers), "FusedMLP.backward: unsupported layer shapes")
        let packed = Packed(layers)
        let L = layers.count, Olast = layers[L - 1].outputs, widest = max(packed.o8.max()!, layers[0].inputs)
        if Profiler.enabled {
            // The recomputed forward (all but the last layer), then each layer's weight and input products.
            for (l, layer) in layers.enumerated() {
                let (I, O) = (layer.inputs, layer.outputs)
                if l < L - 1 { Profiler.gemm(M: N, N: O, K: I, transB: true) }
                if weightGradients { Profiler.gemm(M: O, N: I, K: N, transA: true) }
                if l > 0 || dInp != nil { Profiler.gemm(M: N, N: I, K: O) }
            }
        }
        let K = blockRows
        let T = min(Parallel.threads, max(1, N / (2 * K)))
        // Per-thread gradient partials, (T, O8, I) and (T, O8) per layer.
        let gw = (0..<L).map { l -> UnsafeMutablePointer<Float> in
            let n = T * packed.o8[l] * layers[l].inputs
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        let gb = (0..<L).map { l -> UnsafeMutablePointer<Float> in
            let n = T * packed.o8[l]
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        defer { for p in gw + gb { p.deallocate() } }
        Parallel.forChunks(N, grain: max(1, N / T)) { t, rows in
            // Activations of every layer for one block: acts[l] (K, O8_l); two gradient buffers.
            let acts = (0..<L).map { l in UnsafeMutablePointer<Float>.allocate(capacity: K * packed.o8[l]) }
            let g0 = UnsafeMutablePointer<Float>.allocate(capacity: K * widest),
                g1 = UnsafeMutablePointer<Float>.allocate(capacity: K * widest)
            defer {
                for p in acts { p.deallocate() }
                g0.deallocate()
                g1.deallocate()
            }
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let k = min(K, rows.upperBound - r0)
                let x0 = inp + r0 * layers[0].inputs
                for l in 0..<(L - 1) {  // the last layer's output is not needed, only its gradient
                    let I = layers[l].inputs, P = packed.o8[l]
                    let src = l == 0 ? x0 : UnsafePointer(acts[l - 1])
                    nv_gemm_nn_small(
                        acts[l], Int32(P), src, Int32(I), packed.wt[l], Int32(P), Int32(k), Int32(P), Int32(I), 0,
                        packed.b[l], 1)
                }
                // g = dOut block, padded to O8 columns.
                let lastP = packed.o8[L - 1]
                var g = g0, other = g1
                for r in 0..<k {
                    for o in 0..<lastP { g[r * lastP + o] = o < Olast ? dOut[(r0 + r) * Olast + o] : 0 }
                }
                for l in stride(from: L - 1, through: 0, by: -1) {
                    let I = layers[l].inputs, P = packed.o8[l]
                    let x = l == 0 ? x0 : UnsafePointer(acts[l - 1])
                    // dW_l += g^T x ; db_l += colsum(g)
                    if weightGradients {
                        nv_gemm_tn_small(
                            gw[l] + t * P * I, Int32(I), g, Int32(P), x, Int32(I), Int32(P), Int32(I), Int32(k))
                        let bsum = gb[l] + t * P
                        for r in 0..<k { for o in 0..<P { bsum[o] += g[r * P + o] } }
                    }
                    if l == 0 && dInp == nil { break }
                    // g_prev = g W_l (k, I), then the ReLU mask of layer l-1's output.
                    let dst = l == 0 ? dInp! + r0 * I : other
                    if l > 0 { dst.initialize(repeating: 0, count: k * I) }
                    nv_gemm_nn_small(
                        dst, Int32(I), g, Int32(P), packed.w[l], Int32(I), Int32(k), Int32(I), Int32(P), 1, nil, 0)
                    if l > 0 {
                        let h = acts[l - 1]
                        for i in 0..<(k * I) {
                            let v = dst[i]
                            dst[i] = h[i] > 0 ? v : 0
                        }
                        swap(&g, &other)
                    }
                }
                r0 += k
            }
        }
        for l in 0..<L where weightGradients {
            let I = layers[l].inputs, O = layers[l].outputs, P = packed.o8[l]
            for t in 0..<T {
                for o in 0..<O {
                    for i in 0..<I { dWeights[l][o * I + i] += gw[l][(t * P + o) * I + i] }
                    dBiases[l][o] += gb[l][t * P + o]
                }
            }
        }
    }
}
