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
        return rows
    }
}
