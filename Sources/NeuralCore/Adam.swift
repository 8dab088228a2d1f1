import Foundation

// Adam (Kingma & Ba 2015) with per-parameter learning rates and bias correction.
// N elements of one parameter.

/// Adam state for a set of named parameters. Call `beginStep()` once per optimisation step, then
/// `update` for each parameter with its gradient.
public final class Adam {
    var beta1: Float
    var beta2: Float
    /// Added to sqrt(v) so that parameters with (near) zero gradient history do not divide by 0.
    var epsilon: Float
    /// Steps taken (the t of the bias correction).
    public private(set) var step: Int = 0
    /// First and second moments per parameter name, each shaped like its parameter.
    public private(set) var moments: [String: (m: Tensor, v: Tensor)] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func beginStep() { step += 1 }

    /// param (N) -= lr * mhat / (sqrt(vhat) + eps) with m, v updated from grad (N).
    public func update(_ name: String, param: Tensor, grad: Tensor, lr: Float) {
        precondition(
            param.count == grad.count, "Adam: gradient of \(name) has \(grad.count) elements, parameter \(param.count)")
        precondition(step > 0, "Adam: call beginStep() before update")
        let state =
            moments[name]
            ?? {
                let s = (m: Tensor(param.shape), v: Tensor(param.shape))
                moments[name] = s
                return s
            }()
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = 1 - Float(pow(Double(b1), Double(step))), c2 = 1 - Float(pow(Double(b2), Double(step)))
        let stepSize = lr * c2.squareRoot() / c1
        let p = param.data, g = grad.data, m = state.m.data, v = state.v.data
        // eps is scaled the same way as in the textbook form mhat / (sqrt(vhat) + eps).
        let epsHat = eps * c2.squareRoot()
        Parallel.forRanges(param.count, grain: 32768) { r in
            for i in r {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() + epsHat)
            }
        }
        param.modified()
    }

    /// The state as named tensors ("<name>.m", "<name>.v"), for checkpoints.
    public func stateTensors() -> [(String, Tensor)] {
        moments.keys.sorted().flatMap { k in [("\(k).m", moments[k]!.m), ("\(k).v", moments[k]!.v)] }
    }

    /// Restores what `stateTensors()` produced, plus the step count.
    public func restore(step: Int, tensors: [String: Tensor]) {
        self.step = step
        moments = [:]
        for (name, m) in tensors where name.hasSuffix(".m") {
            let base = String(name.dropLast(2))
            if let v = tensors[base + ".v"] { moments[base] = (m, v) }
        }
    }
}
