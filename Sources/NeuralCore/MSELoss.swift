// N elements.

/// loss = mean((pred - target)^2) over N elements, accumulated in Double.
public enum MSELoss {
    public static func forward(pred: UnsafePointer<Float>, target: UnsafePointer<Float>, N: Int) -> Float {
        var acc = 0.0
        for i in 0..<N {
            let d = Double(pred[i]) - Double(target[i])
            acc += d * d
        }
        return Float(acc / Double(max(1, N)))
    }
    /// dPred (N) += dLoss * 2 (pred - target) / N.
    public static func backward(
        dPred: UnsafeMutablePointer<Float>, dLoss: Float, pred: UnsafePointer<Float>,
        target: UnsafePointer<Float>, N: Int
    ) {
        let s = 2 * dLoss / Float(max(1, N))
        Parallel.forRanges(N, grain: Pointwise.grain) { r in for i in r { dPred[i] += s * (pred[i] - target[i]) } }
    }
}
