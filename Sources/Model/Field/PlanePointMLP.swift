import NeuralCore

// The triplane read both triplane fields share. B objects, N points (object b owns a contiguous
// range), R plane side, C plane channels, G = 3 R R C plane floats per object, H hidden width,
// K raw outputs per point.

/// The query buffers of a triplane field: plane coordinates, summed features, the MLP's hidden
/// activations (only on the unfused path) and its raw outputs.
open class PlaneBatch: FieldBatch {
    let uv: Tensor  // (N, 3, 2)
    let feat: Tensor  // (N, C)
    public lazy var h1 = Tensor([capacity, hidden])  // (N, H)
    public lazy var h2 = Tensor([capacity, hidden])  // (N, H)
    let hidden: Int
    let raw: Tensor  // (N, K)

    public init(
        objects: Int, capacity: Int, planeCount: Int, channels: Int, hidden: Int, outputs: Int, conditionSize: Int = 0
    ) {
        uv = Tensor([capacity, 3, 2])
        feat = Tensor([capacity, channels])
        self.hidden = hidden
        raw = Tensor([capacity, outputs])
        super.init(objects: objects, capacity: capacity, stateSize: planeCount, conditionSize: conditionSize)
    }
}

/// Points -> their xy, xz and yz plane samples, summed -> MLP C -> H -> H -> K (ReLU between), on
/// one field's planes and weights: what a triplane field does between its generator and its head.
struct PlanePointMLP {
    let side: Int, channels: Int, hidden: Int, outputs: Int
    let box: Double
    let w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, w3: Tensor, b3: Tensor  // (H, C) (H) (H, H) (H) (K, H) (K)
    let kernel: Linear.Kernel

    var planeCount: Int { 3 * side * side * channels }

    var layers: [MLPLayer] {
        [
            MLPLayer(weight: w1.data, bias: b1.data, inputs: channels, outputs: hidden),
            MLPLayer(weight: w2.data, bias: b2.data, inputs: hidden, outputs: hidden),
            MLPLayer(weight: w3.data, bias: b3.data, inputs: hidden, outputs: outputs),
        ]
    }

    /// uv (N, 3, 2) of points (N, 3): planes xy, xz, yz, scaled so the box maps to [-1, 1].
    static func projectPoints(uv: UnsafeMutablePointer<Float>, points: UnsafePointer<Float>, scale: Float, N: Int) {
        Parallel.forRanges(N, grain: 16384) { r in
            for n in r {
                let x = points[3 * n] * scale, y = points[3 * n + 1] * scale, z = points[3 * n + 2] * scale
                let o = uv + 6 * n
                o[0] = x
                o[1] = y
                o[2] = x
                o[3] = z
                o[4] = y
                o[5] = z
            }
        }
    }

    /// batch.raw (N, K) at points (N, 3) from the planes in batch.state (B, G).
    func forward(points: UnsafePointer<Float>, batch a: PlaneBatch) {
        let N = a.N, B = a.B, C = channels, H = hidden, R = side
        precondition(a.starts[B] == N, "points must be assigned to objects")
        Self.projectPoints(uv: a.uv.data, points: points, scale: Float(1 / box), N: N)
        Profiler.measure("field: triplane sample") {
            for b in 0..<B {
                let (p0, P) = a.range(b)
                BilinearSample.forward(
                    out: a.feat.data + p0 * C, planes: a.state.data + b * planeCount, uv: a.uv.data + p0 * 6, N: P,
                    P: 3, H: R, W: R, C: C)
            }
        }
        Profiler.measure("field: mlp") {
            if FusedMLP.supports(layers, kernel: kernel) {
                FusedMLP.forward(out: a.raw.data, inp: a.feat.data, layers: layers, N: N)
                return
            }
            Linear.forward(
                out: a.h1.data, inp: a.feat.data, weight: w1.data, bias: b1.data, N: N, I: C, O: H, relu: true,
                kernel: kernel)
            Linear.forward(
                out: a.h2.data, inp: a.h1.data, weight: w2.data, bias: b2.data, N: N, I: H, O: H, relu: true,
                kernel: kernel)
            Linear.forward(
                out: a.raw.data, inp: a.h2.data, weight: w3.data, bias: b3.data, N: N, I: H, O: outputs, kernel: kernel)
        }
    }

    /// From dRaw (N, K): adds into the MLP's weight gradients `mlpGrads` (w1, b1, w2, b2, w3, b3;
    /// written only when `weightGradients`), dPlanes (B, G) (overwritten) and dPoints (N, 3).
    func backward(
        dRaw: UnsafePointer<Float>, batch a: PlaneBatch, mlpGrads: [UnsafeMutablePointer<Float>],
        weightGradients: Bool, dPlanes: UnsafeMutablePointer<Float>, dPoints: UnsafeMutablePointer<Float>?
    ) {
        let N = a.N, B = a.B, C = channels, H = hidden, R = side, G = planeCount
        Scratch.with(N * C) { dFeat in  // (N, C)
            Scratch.with(dPoints == nil ? 1 : N * 6) { dUV in  // (N, 3, 2)
                dFeat.initialize(repeating: 0, count: N * C)
                Profiler.measure("backward: mlp") {
                    if FusedMLP.supports(layers, kernel: kernel) {
                        FusedMLP.backward(
                            dInp: dFeat, dWeights: [mlpGrads[0], mlpGrads[2], mlpGrads[4]],
                            dBiases: [mlpGrads[1], mlpGrads[3], mlpGrads[5]], dOut: dRaw, inp: a.feat.data,
                            layers: layers, N: N, weightGradients: weightGradients)
                        return
                    }
                    Scratch.with(N * H) { dH2 in  // (N, H)
                        Scratch.with(N * H) { dH1 in  // (N, H)
                            dH2.initialize(repeating: 0, count: N * H)
                            Linear.backward(
                                dInp: dH2, dWeight: mlpGrads[4], dBias: mlpGrads[5], dOut: dRaw, inp: a.h2.data,
                                weight: w3.data, N: N, I: H, O: outputs, kernel: kernel)
                            dH1.initialize(repeating: 0, count: N * H)
                            Linear.backward(
                                dInp: dH1, dWeight: mlpGrads[2], dBias: mlpGrads[3], dOut: dH2, inp: a.h1.data,
                                weight: w2.data, N: N, I: H, O: H, relu: true, out: a.h2.data, kernel: kernel)
                            Linear.backward(
                                dInp: dFeat, dWeight: mlpGrads[0], dBias: mlpGrads[1], dOut: dH1, inp: a.feat.data,
                                weight: w1.data, N: N, I: C, O: H, relu: true, out: a.h1.data, kernel: kernel)
                        }
                    }
                }
                Profiler.measure("backward: triplane") {
                    dPlanes.initialize(repeating: 0, count: B * G)
                    if dPoints != nil { dUV.initialize(repeating: 0, count: N * 6) }
                    for b in 0..<B {
                        let (p0, P) = a.range(b)
                        BilinearSample.backward(
                            dPlanes: dPlanes + b * G, dUV: dPoints == nil ? nil : dUV + p0 * 6, dOut: dFeat + p0 * C,
                            planes: a.state.data + b * G, uv: a.uv.data + p0 * 6, N: P, P: 3, H: R, W: R, C: C)
                    }
                }
                guard let dPoints else { return }
                let s = Float(1 / box)
                Parallel.forRanges(N, grain: 16384) { r in
                    for n in r {
                        let u = dUV + 6 * n
                        dPoints[3 * n] += (u[0] + u[2]) * s
                        dPoints[3 * n + 1] += (u[1] + u[4]) * s
                        dPoints[3 * n + 2] += (u[3] + u[5]) * s
                    }
                }
            }
        }
    }
}
