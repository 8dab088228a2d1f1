import Foundation

// N logits.

/// Binary cross-entropy on logits, mean over N: -[y log σ(x) + (1 - y) log(1 - σ(x))], computed
/// as max(x, 0) - x y + log(1 + e^-|x|) so that large logits neither overflow nor lose the loss.
public enum BCEWithLogits {
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, N: Int) -> Float {
        var acc = 0.0
        for i in 0..<N {
            let x = Double(logits[i]), y = Double(targets[i])
            acc += max(x, 0) - x * y + log1p(exp(-abs(x)))
        }
        return Float(acc / Double(max(1, N)))
    }

    /// dLogits += dLoss (σ(x) - y) / N.
    public static func backward(
        dLogits: UnsafeMutablePointer<Float>, dLoss: Float, logits: UnsafePointer<Float>,
        targets: UnsafePointer<Float>, N: Int
    ) {
        let s = dLoss / Float(max(1, N))
        for i in 0..<N { dLogits[i] += s * (Sigmoid.value(logits[i]) - targets[i]) }
    }
}
