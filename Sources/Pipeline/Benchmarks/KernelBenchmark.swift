import Foundation
import NeuralCore

// sgemm out (M, Nc) = a (M, K) b (K, Nc); a dense layer maps N rows of I inputs to O outputs.

/// GFLOPS of raw sgemm and of the dense ops at the decoder's and encoder's shapes, each against
/// raw sgemm at the same shape (`nerfinv bench core`).
enum KernelBenchmark {
    public struct Row: Codable {
        var name: String
        var shape: String
        public var seconds: Double
        var gflops: Double
        var shareOfSgemm: Double?
        init(name: String, shape: String, seconds: Double, gflops: Double, shareOfSgemm: Double? = nil) {
            self.name = name
            self.shape = shape
            self.seconds = seconds
            self.gflops = gflops
            self.shareOfSgemm = shareOfSgemm
        }
    }

    /// Every row, each timing the median of `repeats` runs of at least `minSeconds`.
    public static func run(repeats: Int, minSeconds: Double) -> [Row] {
        var rows: [Row] = []
        var rng = SplitMix64(seed: 1)
        func time(_ body: () -> Void) -> Double { Timing.median(repeats: repeats, minSeconds: minSeconds, body) }

        // Raw sgemm, out (M, N) = A (M, K) B (K, N): the ceiling every op is measured against.
        func rawSgemm(M: Int, Nc: Int, K: Int, transB: Bool = false) -> Double {
            let a = Tensor([M, K]), b = Tensor([K, Nc]), c = Tensor([M, Nc])
            a.fillUniform(-1, 1, rng: &rng)
            b.fillUniform(-1, 1, rng: &rng)
            let s = time {
                BLAS.sgemm(
                    transA: false, transB: transB, M: M, N: Nc, K: K, A: a.data, lda: K, B: b.data,
                    ldb: transB ? K : Nc,
                    beta: 0, C: c.data, ldc: Nc)
            }
            return 2 * Double(M * Nc * K) / s / 1e9
        }
        let big = rawSgemm(M: 1024, Nc: 1024, K: 1024)
        rows.append(Row(name: "sgemm", shape: "1024x1024x1024", seconds: 2 * pow(1024, 3) / big / 1e9, gflops: big))

        // Decoder MLP shapes: N samples x I inputs -> O outputs.
        for (N, I, O) in [(65536, 64, 64), (65536, 32, 64), (65536, 16, 64)] {
            let raw = rawSgemm(M: N, Nc: O, K: I, transB: true)
            rows.append(
                Row(name: "sgemm", shape: "\(N)x\(I)x\(O)", seconds: 2 * Double(N * I * O) / raw / 1e9, gflops: raw))
            let x = Tensor([N, I]), w = Tensor([O, I]), b = Tensor([O]), y = Tensor([N, O])
            let dy = Tensor([N, O]), dx = Tensor([N, I]), dw = Tensor([O, I]), db = Tensor([O])
            x.fillUniform(-1, 1, rng: &rng)
            w.fillUniform(-0.2, 0.2, rng: &rng)
            dy.fillUniform(-1, 1, rng: &rng)
            let kernels: [Linear.Kernel] = Linear.fusedAvailable ? [.blas, .fused] : [.blas]
            for kernel in kernels {
                let label = kernel == .fused ? "fused" : "sgemm"
                let fwd = time {
                    Linear.forward(
                        out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O, relu: true,
                        kernel: kernel)
                }
                let fb = time {
                    Linear.forward(
                        out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O, relu: true,
                        kernel: kernel)
                    dx.zero()
                    dw.zero()
                    db.zero()
                    Linear.backward(
                        dInp: dx.data, dWeight: dw.data, dBias: db.data, dOut: dy.data, inp: x.data, weight: w.data,
                        N: N, I: I, O: O, relu: true, out: y.data, kernel: kernel)
                }
                let f1 = 2 * Double(N * I * O) / fwd / 1e9, f3 = 6 * Double(N * I * O) / fb / 1e9
                rows.append(
                    Row(
                        name: "Linear+ReLU fwd \(label)", shape: "\(N)x\(I)x\(O)", seconds: fwd, gflops: f1,
                        shareOfSgemm: f1 / raw))
                rows.append(
                    Row(
                        name: "Linear+ReLU f+b \(label)", shape: "\(N)x\(I)x\(O)", seconds: fb, gflops: f3,
                        shareOfSgemm: f3 / raw))
            }
        }

        // Encoder-like convolutions: (B, Ci, H, W) -> Co with 3x3 kernels.
        for s in [
            Conv2dShape(B: 32, Ci: 32, H: 32, W: 32, Co: 64, K: 3, S: 1, P: 1),
            Conv2dShape(B: 32, Ci: 3, H: 64, W: 64, Co: 32, K: 3, S: 2, P: 1),
        ] {
            let raw = rawSgemm(M: s.Co, Nc: s.columns, K: s.patch)
            let x = Tensor([s.inputCount]), w = Tensor([s.weightCount]), b = Tensor([s.Co]), y = Tensor([s.outputCount])
            let dy = Tensor([s.outputCount]), dx = Tensor([s.inputCount]), dw = Tensor([s.weightCount]),
                db = Tensor([s.Co])
            x.fillUniform(-1, 1, rng: &rng)
            w.fillUniform(-0.1, 0.1, rng: &rng)
            dy.fillUniform(-1, 1, rng: &rng)
            let fb = time {
                Conv2d.forward(out: y.data, inp: x.data, weight: w.data, bias: b.data, s)
                dx.zero()
                dw.zero()
                db.zero()
                Conv2d.backward(
                    dInp: dx.data, dWeight: dw.data, dBias: db.data, dOut: dy.data, inp: x.data, weight: w.data, s)
            }
            let flops = 6 * Double(s.Co * s.columns * s.patch)
            let shape = "B\(s.B) \(s.Ci)x\(s.H)x\(s.W)->\(s.Co) k\(s.K) s\(s.S)"
            rows.append(
                Row(
                    name: "sgemm (conv im2col)", shape: "\(s.Co)x\(s.patch)x\(s.columns)",
                    seconds: 2 * Double(s.Co * s.columns * s.patch) / raw / 1e9, gflops: raw))
            rows.append(
                Row(
                    name: "Conv2d fwd+bwd", shape: shape, seconds: fb, gflops: flops / fb / 1e9,
                    shareOfSgemm: flops / fb / 1e9 / raw))
        }
        rows += generatorStages(rng: &rng, time: time)
        return rows
    }

    /// The generator's stages for one code (an inversion step): nearest x2 upsampling + 3x3 conv,
    /// forward and the input gradient, as the naive twin (Upsample2x then Conv2d at the upsampled
    /// size) and as the sub-pixel op. GFLOPS count the sub-pixel op's products for both, so the
    /// rates compare the time of the same result.
    static func generatorStages(rng: inout SplitMix64, time: (() -> Void) -> Double) -> [Row] {
        var rows: [Row] = []
        for (Ci, H, Co) in [(128, 8, 128), (128, 16, 64), (64, 32, 48)] {
            let s = Conv2dShape(B: 1, Ci: Ci, H: 2 * H, W: 2 * H, Co: Co, K: 3, S: 1, P: 1)
            let x = Tensor([Ci * H * H]), w = Tensor([s.weightCount]), b = Tensor([Co]), y = Tensor([s.outputCount])
            let up = Tensor([s.inputCount]), dUp = Tensor([s.inputCount]), dx = Tensor([Ci * H * H])
            let dy = Tensor([s.outputCount])
            x.fillUniform(-1, 1, rng: &rng)
            w.fillUniform(-0.1, 0.1, rng: &rng)
            dy.fillUniform(-1, 1, rng: &rng)
            let naive = time {
                Upsample2x.forward(out: up.data, inp: x.data, B: 1, C: Ci, H: H, W: H)
                Conv2d.forward(out: y.data, inp: up.data, weight: w.data, bias: b.data, s, oneDNN: false)
                dUp.zero()
                dx.zero()
                Conv2d.backward(
                    dInp: dUp.data, dWeight: nil, dBias: nil, dOut: dy.data, inp: up.data, weight: w.data, s,
                    oneDNN: false)
                Upsample2x.backward(dInp: dx.data, dOut: dUp.data, B: 1, C: Ci, H: H, W: H)
            }
            func fused(oneDNN: Bool) -> Double {
                time {
                    UpsampleConv.forward(
                        out: y.data, inp: x.data, weight: w.data, bias: b.data, B: 1, Ci: Ci, H: H, W: H, Co: Co,
                        oneDNN: oneDNN)
                    dx.zero()
                    UpsampleConv.backward(
                        dInp: dx.data, dWeight: nil, dBias: nil, dOut: dy.data, inp: x.data, weight: w.data, B: 1,
                        Ci: Ci, H: H, W: H, Co: Co, oneDNN: oneDNN)
                }
            }
            let flops = 2 * 2 * Double(Co * Ci * 4 * 4 * H * H), shape = "B1 \(Ci)x\(H)x\(H)->\(Co) at \(2 * H)"
            var kernels = [("up+conv naive im2col", naive), ("up+conv sub-pixel sgemm", fused(oneDNN: false))]
            if OneDNN.enabled { kernels.append(("up+conv oneDNN deconv", fused(oneDNN: true))) }
            for (name, seconds) in kernels {
                rows.append(Row(name: name + " f+dX", shape: shape, seconds: seconds, gflops: flops / seconds / 1e9))
            }
        }
        return rows
    }
}
