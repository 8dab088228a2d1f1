import NeuralCore
import TestSupport
import XCTest

/// Each fast kernel against its naive reference.
final class ReferenceTests: XCTestCase {
    func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    func testSgemmAllTransposesMatchReference() {
        var rng = SplitMix64(seed: 20)
        let (M, N, K) = (19, 23, 31)
        let A = random([M * K], &rng), B = random([K * N], &rng)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let C = random([M * N], &rng), R = C.clone()
            let lda = ta ? M : K, ldb = tb ? K : N
            BLAS.sgemm(
                transA: ta, transB: tb, M: M, N: N, K: K, alpha: 0.5, A: A.data, lda: lda, B: B.data, ldb: ldb,
                beta: 0.25, C: C.data, ldc: N)
            BLAS.sgemmReference(
                transA: ta, transB: tb, M: M, N: N, K: K, alpha: 0.5, A: A.data, lda: lda, B: B.data, ldb: ldb,
                beta: 0.25, C: R.data, ldc: N)
            XCTAssertLessThan(maxDiff(C, R), 1e-4, "transA \(ta) transB \(tb)")
        }
    }

    /// The fused AVX2 kernels, the sgemm path and a Double triple loop agree, forward and backward,
    /// on shapes with row tails (N % 6 != 0) and 8-wide column tails.
    /// The fused kernels, and the streaming ones for a few rows through a wide layer (last two shapes).
    func testLinearFusedMatchesSgemmAndNaive() throws {
        try XCTSkipUnless(Linear.fusedAvailable, "CPU without AVX2/FMA: only the sgemm path exists")
        var rng = SplitMix64(seed: 24)
        for (N, I, O) in [(1000, 64, 64), (37, 16, 24), (5, 8, 40), (2049, 32, 8), (6, 128, 9000), (1, 128, 9000)] {
            let x = random([N, I], &rng), w = random([O, I], &rng), b = random([O], &rng), dy = random([N, O], &rng)
            var results: [[Tensor]] = []
            for kernel in [Linear.Kernel.blas, .fused] {
                let y = Tensor([N, O]), dx = Tensor([N, I]), dw = Tensor([O, I]), db = Tensor([O])
                Linear.forward(
                    out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O, relu: true, kernel: kernel
                )
                Linear.backward(
                    dInp: dx.data, dWeight: dw.data, dBias: db.data, dOut: dy.data, inp: x.data, weight: w.data,
                    N: N, I: I, O: O, relu: true, out: y.data, kernel: kernel)
                results.append([y, dx, dw, db])
            }
            let naive = Tensor([N, O])
            for n in 0..<N {
                for o in 0..<O {
                    var acc = Double(b[o])
                    for i in 0..<I { acc += Double(x[n * I + i]) * Double(w[o * I + i]) }
                    naive[n * O + o] = Float(max(acc, 0))
                }
            }
            XCTAssertLessThan(maxDiff(results[1][0], naive), 1e-4, "forward \(N)x\(I)x\(O)")
            for k in 0..<4 {
                let scale = max(1, results[0][k].array.map { abs($0) }.max()!)
                XCTAssertLessThan(maxDiff(results[0][k], results[1][k]) / scale, 1e-5, "output \(k) of \(N)x\(I)x\(O)")
            }
        }
    }

    func testConv2dMatchesDirectLoops() {
        var rng = SplitMix64(seed: 21)
        for s in [
            Conv2dShape(B: 3, Ci: 4, H: 9, W: 11, Co: 5, K: 3, S: 1, P: 1),
            Conv2dShape(B: 2, Ci: 3, H: 16, W: 16, Co: 8, K: 4, S: 2, P: 1),
            Conv2dShape(B: 2, Ci: 2, H: 7, W: 5, Co: 3, K: 1, S: 1, P: 0),
            Conv2dShape(B: 1, Ci: 3, H: 10, W: 10, Co: 2, K: 5, S: 3, P: 2),
        ] {
            let x = random([s.inputCount], &rng), w = random([s.weightCount], &rng), b = random([s.Co], &rng)
            let fast = Tensor([s.outputCount]), slow = Tensor([s.outputCount])
            Conv2d.forwardReference(out: slow.data, inp: x.data, weight: w.data, bias: b.data, s)
            for oneDNN in OneDNN.enabled ? [false, true] : [false] {
                Conv2d.forward(out: fast.data, inp: x.data, weight: w.data, bias: b.data, s, oneDNN: oneDNN)
                XCTAssertLessThan(maxDiff(fast, slow), 1e-4, "\(s) oneDNN \(oneDNN)")
            }
        }
    }

    /// The sub-pixel op against its naive twin, nearest upsampling then the 3x3 convolution: outputs
    /// and all three gradients.
    func testUpsampleConvMatchesUpsampleThenConv() {
        var rng = SplitMix64(seed: 23)
        for (B, Ci, H, W, Co) in [(2, 5, 4, 6, 3), (1, 16, 8, 8, 8), (3, 2, 1, 3, 4)] {
            let s = Conv2dShape(B: B, Ci: Ci, H: 2 * H, W: 2 * W, Co: Co, K: 3, S: 1, P: 1)
            let x = random([B, Ci, H, W], &rng), w = random([Co, Ci, 3, 3], &rng), b = random([Co], &rng)
            let dOut = random([s.outputCount], &rng)
            let up = Tensor([s.inputCount]), slow = Tensor([s.outputCount]), fast = Tensor([s.outputCount])
            Upsample2x.forward(out: up.data, inp: x.data, B: B, C: Ci, H: H, W: W)
            Conv2d.forward(out: slow.data, inp: up.data, weight: w.data, bias: b.data, s, oneDNN: false)
            let dUp = Tensor([s.inputCount]), dxSlow = Tensor([x.count]), dwSlow = Tensor([w.count])
            let dbSlow = Tensor([Co])
            Conv2d.backward(
                dInp: dUp.data, dWeight: dwSlow.data, dBias: dbSlow.data, dOut: dOut.data, inp: up.data, weight: w.data,
                s,
                oneDNN: false)
            Upsample2x.backward(dInp: dxSlow.data, dOut: dUp.data, B: B, C: Ci, H: H, W: W)
            // Both kernels of the fast op: sub-pixel sgemm, and oneDNN's transposed convolution.
            for oneDNN in OneDNN.enabled ? [false, true] : [false] {
                UpsampleConv.forward(
                    out: fast.data, inp: x.data, weight: w.data, bias: b.data, B: B, Ci: Ci, H: H, W: W, Co: Co,
                    oneDNN: oneDNN)
                XCTAssertLessThan(maxDiff(fast, slow), 1e-4, "forward \(s) oneDNN \(oneDNN)")
                let dxFast = Tensor([x.count]), dwFast = Tensor([w.count]), dbFast = Tensor([Co])
                UpsampleConv.backward(
                    dInp: dxFast.data, dWeight: dwFast.data, dBias: dbFast.data, dOut: dOut.data, inp: x.data,
                    weight: w.data, B: B, Ci: Ci, H: H, W: W, Co: Co, oneDNN: oneDNN)
                XCTAssertLessThan(maxDiff(dxFast, dxSlow), 1e-3, "dInp \(s) oneDNN \(oneDNN)")
                XCTAssertLessThan(maxDiff(dwFast, dwSlow), 1e-3, "dWeight \(s) oneDNN \(oneDNN)")
                XCTAssertLessThan(maxDiff(dbFast, dbSlow), 1e-3, "dBias \(s) oneDNN \(oneDNN)")
            }
        }
    }

    func testBilinearSampleMatchesReferenceIncludingOutOfRange() {
        var rng = SplitMix64(seed: 22)
        for C in [5, 16] {  // 16: one vector a texel
            let (N, P, H, W) = (3000, 3, 8, 7)
            let planes = random([P, H, W, C], &rng)
            let uv = Tensor([N, P, 2])
            uv.fillUniform(-1.3, 1.3, rng: &rng)  // some points fall outside and must clamp to the border
            uv[0] = -1
            uv[1] = 1
            uv[2] = 1
            uv[3] = -1  // exact corners
            let fast = Tensor([N, C]), slow = Tensor([N, C])
            BilinearSample.forward(out: fast.data, planes: planes.data, uv: uv.data, N: N, P: P, H: H, W: W, C: C)
            BilinearSample.forwardReference(
                out: slow.data, planes: planes.data, uv: uv.data, N: N, P: P, H: H, W: W, C: C)
            XCTAssertLessThan(maxDiff(fast, slow), 1e-5)
        }
    }

    func testBilinearSampleAtTexelCentreReturnsTexel() {
        let (H, W, C) = (4, 4, 2)
        let plane = Tensor([1, H, W, C])
        for i in 0..<plane.count { plane[i] = Float(i) }
        // Texel (x=2, y=1) has its centre at u = (2.5/4)*2-1, v = (1.5/4)*2-1.
        let uv = Tensor([1, 1, 2], values: [0.25, -0.25])
        let out = Tensor([1, C])
        BilinearSample.forward(out: out.data, planes: plane.data, uv: uv.data, N: 1, P: 1, H: H, W: W, C: C)
        XCTAssertEqual(out[0], plane[(1 * W + 2) * C], accuracy: 1e-5)
        XCTAssertEqual(out[1], plane[(1 * W + 2) * C + 1], accuracy: 1e-5)
    }

    func testColumnSumMatchesSerialSum() {
        var rng = SplitMix64(seed: 23)
        let (N, C) = (20000, 7)
        let x = random([N, C], &rng)
        let dst = Tensor([C])
        dst.fill(1)
        ColumnSum.accumulate(into: dst.data, x.data, rows: N, cols: C)
        for c in 0..<C {
            var acc = 1.0
            for n in 0..<N { acc += Double(x[n * C + c]) }
            XCTAssertEqual(Double(dst[c]), acc, accuracy: 1e-2)
        }
    }

    func testParallelForRangesCoversEveryIndexOnce() {
        for n in [0, 1, 5, 1023, 1024, 100_000] {
            let hits = Tensor([max(1, n)])
            Parallel.forRanges(n, grain: 100) { r in for i in r { hits[i] += 1 } }
            for i in 0..<n where hits[i] != 1 {
                XCTFail("n=\(n): index \(i) hit \(hits[i]) times")
                break
            }
        }
    }
}

final class ActivationValueTests: XCTestCase {
    func testValuesAndNoOverflow() {
        let x = Tensor([5], values: [-100, -1, 0, 1, 100])
        let y = Tensor([5])
        Softplus.forward(out: y.data, inp: x.data, N: 5)
        XCTAssertEqual(y[0], 0, accuracy: 1e-6)
        XCTAssertEqual(y[2], Float(log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(y[4], 100, accuracy: 1e-4)
        Sigmoid.forward(out: y.data, inp: x.data, N: 5)
        XCTAssertEqual(y[0], 0, accuracy: 1e-6)
        XCTAssertEqual(y[2], 0.5, accuracy: 1e-7)
        XCTAssertEqual(y[4], 1, accuracy: 1e-6)
        ClampedExp.forward(out: y.data, inp: x.data, N: 5)
        XCTAssertTrue(y.isFinite)
        XCTAssertEqual(y[4], exp(ClampedExp.maxInput), accuracy: 1)
    }
}
