// N elements.

/// loss = mean(|pred - target|) over N elements, accumulated in Double.
public enum L1Loss {
    public static func forward(pred: UnsafePointer<Float>, target: UnsafePointer<Float>, N: Int) -> Float {
        var acc = 0.0
        for i in 0..<N { acc += abs(Double(pred[i]) - Double(target[i])) }
        return Float(acc / Double(max(1, N)))
    }
    /// dPred (N) += dLoss * sign(pred - target) / N (subgradient 0 at equality).
    public static func backward(
        dPred: UnsafeMutablePointer<Float>, dLoss: Float, pred: UnsafePointer<Float>,
        target: UnsafePointer<Float>, N: Int
    ) {
        let s = dLoss / Float(max(1, N))
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let d = pred[i] - target[i]
                dPred[i] += d > 0 ? s : (d < 0 ? -s : 0)
            }
        }
    }
}
