import CShims
import Foundation

/// oneDNN (Intel's deep-learning primitives, PyTorch's CPU backend) for the convolutions: its JIT
/// kernels work in a blocked layout (16 channels a vector on AVX-512) without an im2col matrix,
/// 2-4x faster than im2col + sgemm at the encoder's and generator's shapes (`nerfinv bench core`).
/// `Conv2d` and `UpsampleConv` use it when `enabled`; their im2col + sgemm paths stay as the twins
/// the tests compare it with, and as the fallback where oneDNN has no primitive.
public enum OneDNN {
    /// Set `NERFINV_ONEDNN=0` to run every convolution on im2col + sgemm instead (for comparisons).
    static let disabledVariable = "NERFINV_ONEDNN"

    /// Whether convolutions go to oneDNN (its engine started and the environment does not opt out).
    nonisolated(unsafe) public static var enabled: Bool =
        ProcessInfo.processInfo.environment[disabledVariable] != "0" && nv_dnnl_available() != 0

    /// oneDNN's version, the ISA it dispatches to and the implementation it chose, for reports.
    public static var description: String {
        enabled ? String(cString: nv_dnnl_describe()) : "not used"
    }

    /// OpenMP threads of oneDNN's kernels (kept equal to nerfinv's own, see `Compute.use`).
    public static func use(threads: Int) { nv_dnnl_set_threads(Int32(threads)) }

    /// The spec of a plain convolution, or of a transposed one (`deconvolution`) with input `s`'s
    /// (H, W) and output (Ho, Wo).
    static func spec(_ s: Conv2dShape) -> nv_conv_spec {
        nv_conv_spec(
            deconv: 0, B: Int32(s.B), Ci: Int32(s.Ci), H: Int32(s.H), W: Int32(s.W), Co: Int32(s.Co),
            Ho: Int32(s.Ho), Wo: Int32(s.Wo), KH: Int32(s.K), KW: Int32(s.K), SH: Int32(s.S), SW: Int32(s.S),
            PT: Int32(s.P), PL: Int32(s.P), PB: Int32(s.P), PR: Int32(s.P))
    }

    /// Nearest x2 upsampling + 3x3 conv as a stride-2 transposed convolution with a 4x4 kernel, padding 1.
    static func upsampleSpec(B: Int, Ci: Int, H: Int, W: Int, Co: Int) -> nv_conv_spec {
        nv_conv_spec(
            deconv: 1, B: Int32(B), Ci: Int32(Ci), H: Int32(H), W: Int32(W), Co: Int32(Co), Ho: Int32(2 * H),
            Wo: Int32(2 * W), KH: 4, KW: 4, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1)
    }

    /// Each returns false when oneDNN could not run the spec (the caller falls back to its twin).
    static func forward(
        _ spec: nv_conv_spec, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>
    ) -> Bool {
        counted(spec) { nv_dnnl_conv_forward($0, out, inp, weight, bias) }
    }

    static func backwardData(
        _ spec: nv_conv_spec, dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
        weight: UnsafePointer<Float>
    ) -> Bool {
        counted(spec) { nv_dnnl_conv_backward_data($0, dInp, dOut, weight) }
    }

    static func backwardWeights(
        _ spec: nv_conv_spec, dWeight: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        dOut: UnsafePointer<Float>
    ) -> Bool {
        counted(spec) { nv_dnnl_conv_backward_weights($0, dWeight, inp, dOut) }
    }

    /// Runs one oneDNN call on `spec`, its products counted for the profile; true when it returned 0.
    private static func counted(_ spec: nv_conv_spec, _ call: (UnsafePointer<nv_conv_spec>) -> Int32) -> Bool {
        if Profiler.enabled { Profiler.gemm(M: Int(spec.Co), N: Int(spec.B * spec.Ho * spec.Wo), K: flopsK(spec)) }
        var s = spec
        return call(&s) == 0
    }

    /// Products per output pixel and output channel, for the profile: Ci KH KW for a convolution;
    /// a stride-2 transposed one touches only (KH/2)(KW/2) of its taps per output pixel.
    static func flopsK(_ s: nv_conv_spec) -> Int {
        let taps = s.deconv != 0 ? Int(s.KH / s.SH) * Int(s.KW / s.SW) : Int(s.KH * s.KW)
        return Int(s.Ci) * taps
    }
}
