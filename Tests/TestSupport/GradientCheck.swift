@_exported import NeuralCore
import XCTest

/// Checks an op's backward against central finite differences, llm.c style:
/// loss = Σ out · dOut for a random dOut, accumulated in Double, so d loss / d x_j is exactly the
/// gradient the backward pass should add into grads[i][j].
///
/// Gradients start from random values and the check subtracts them again, so a backward that
/// overwrites instead of adding (`dW += ...`) fails.
public func checkGradients(
    _ name: String, inputs: [Tensor], eps: Float = 1e-3, rtol: Double = 2e-2, atol: Double = 2e-3,
    samplesPerInput: Int = 48, seed: UInt64 = 7,
    forward: () -> Tensor, backward: (_ dOut: Tensor, _ grads: [Tensor]) -> Void,
    file: StaticString = #filePath, line: UInt = #line
) {
    var rng = SplitMix64(seed: seed)
    let out = forward()
    let dOut = Tensor(out.shape)
    dOut.fillNormal(std: 1, rng: &rng)
    let grads = inputs.map { Tensor($0.shape) }
    let initial = inputs.map { Tensor($0.shape) }
    for (g, g0) in zip(grads, initial) {
        g0.fillNormal(std: 1, rng: &rng)
        g.copy(from: g0)
    }
    backward(dOut, grads)

    func loss() -> Double {
        let o = forward()
        var acc = 0.0
        for i in 0..<o.count { acc += Double(o[i]) * Double(dOut[i]) }
        return acc
    }
    var worst = 0.0
    for (k, x) in inputs.enumerated() {
        let indices =
            x.count <= samplesPerInput ? Array(0..<x.count) : (0..<samplesPerInput).map { _ in rng.nextInt(x.count) }
        for j in indices {
            let saved = x[j]
            x[j] = saved + eps
            let up = Double(x[j])
            let lp = loss()
            x[j] = saved - eps
            let down = Double(x[j])
            let lm = loss()
            x[j] = saved
            let numeric = (lp - lm) / (up - down)
            let analytic = Double(grads[k][j]) - Double(initial[k][j])
            let err = abs(numeric - analytic)
            worst = max(worst, err / (atol + rtol * abs(numeric)))
            if err > atol + rtol * abs(numeric) {
                XCTFail(
                    "\(name): input \(k) element \(j): analytic \(analytic) vs numeric \(numeric)", file: file,
                    line: line)
                return
            }
        }
    }
    XCTAssertLessThanOrEqual(worst, 1, name, file: file, line: line)
}

/// A tensor of uniform values in [lo, hi) whose magnitudes stay at least `gap` from 0, so that
/// finite differences never straddle the kink of ReLU-like ops.
public func awayFromZero(_ shape: [Int], _ rng: inout SplitMix64, lo: Float = -2, hi: Float = 2, gap: Float = 0.05)
    -> Tensor
{
    let t = Tensor(shape)
    for i in 0..<t.count {
        var v: Float
        repeat { v = lo + (hi - lo) * rng.nextFloat() } while abs(v) < gap
        t[i] = v
    }
    return t
}

public func random(_ shape: [Int], _ rng: inout SplitMix64, std: Float = 1) -> Tensor {
    let t = Tensor(shape)
    t.fillNormal(std: std, rng: &rng)
    return t
}
