import CShims

// L layers; each a Conv2dShape with its weight (Co, Ci, K, K) and bias (Co).

/// Inference through a stack of convolutions, each followed by LeakyReLU, on oneDNN with the
/// activations kept in its blocked layout between layers, the LeakyReLU fused into each
/// convolution, and the weights reordered once when the chain is built instead of on every call.
/// For a frozen network (the photo encoder during inversion); `isCurrent` tells its owner when
/// the weights changed since (their `Tensor.version`), so that it builds a new chain.
public final class ConvChain {
    /// Product precision: fp32, or bfloat16 products accumulated in fp32 (AVX-512 bf16).
    public enum Precision: String, Sendable, Codable { case fp32, bf16 }

    private let handle: OpaquePointer
    private let tensors: [Tensor]
    private let versions: [Int]
    public let shapes: [Conv2dShape]
    public let precision: Precision

    /// Nil where oneDNN is off or cannot build the chain (its owner then runs its own forward).
    public init?(shapes: [Conv2dShape], weights: [Tensor], biases: [Tensor], slope: Float, precision: Precision) {
        guard OneDNN.enabled, !shapes.isEmpty, shapes.count == weights.count, shapes.count == biases.count else {
            return nil
        }
        var specs = shapes.map { OneDNN.spec($0) }
        let w = weights.map { UnsafePointer($0.data) as UnsafePointer<Float>? }
        let b = biases.map { UnsafePointer($0.data) as UnsafePointer<Float>? }
        guard
            let h = w.withUnsafeBufferPointer({ wp in
                b.withUnsafeBufferPointer { bp in
                    nv_dnnl_chain_create(
                        Int32(shapes.count), &specs, wp.baseAddress, bp.baseAddress, slope, precision == .bf16 ? 1 : 0)
                }
            })
        else { return nil }
        handle = h
        tensors = weights + biases
        versions = tensors.map(\.version)
        self.shapes = shapes
        self.precision = precision
    }

    deinit { nv_dnnl_chain_destroy(handle) }

    /// True while every weight and bias it was built from is unchanged and these are those tensors.
    public func isCurrent(weights: [Tensor], biases: [Tensor], shapes: [Conv2dShape], precision: Precision) -> Bool {
        let now = weights + biases
        return self.shapes == shapes && self.precision == precision && now.count == tensors.count
            && zip(now, tensors).allSatisfy { $0 === $1 } && zip(tensors, versions).allSatisfy { $0.version == $1 }
    }

    /// out: the last layer's activated output (B, Co, Ho, Wo) from inp (B, Ci, H, W). False on a oneDNN error.
    public func run(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>) -> Bool {
        if Profiler.enabled {
            for s in shapes { Profiler.gemm(M: s.Co, N: s.columns, K: s.patch) }
        }
        return nv_dnnl_chain_run(handle, inp, out) == 0
    }
}
