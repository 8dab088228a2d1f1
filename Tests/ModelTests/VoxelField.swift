import Model
import NeuralCore

// A toy second field kind: the whole proof that a field is one file and one registration line.
// B objects, N points, D code length, L lattice side, E = L³ 4 state floats per object.

/// A dense voxel field: one linear layer maps the code to an L³ lattice of (density, r, g, b)
/// pre-activations; a point reads its cell's corners trilinearly; the triplane's head turns the
/// result into density and colour. No point gradients (the toy is never pose-refined).
struct VoxelConfig: FieldConfig, Equatable {
    static let kind = "voxel"
    var codeDim = 4
    var side = 6
    var samplesPerRay = 16
    var box = 1.0
    var background: [Float] = [1, 1, 1]
    var occupancyResolution = 8
    var densityBias: Float = 0

    func makeField(rng: inout SplitMix64) -> any RadianceField { VoxelField(config: self, rng: &rng) }
    var problem: String? { commonProblem ?? ((2...64).contains(side) ? nil : "side outside 2...64") }
    var stateFloats: Int { side * side * side * 4 }
    var parameterCount: Int { side * side * side * 4 * (codeDim + 1) }
}

final class VoxelField: RadianceField {
    let config: VoxelConfig
    let w: Tensor  // (E, D)
    let b: Tensor  // (E)
    var spec: FieldSpec { FieldSpec(config) }
    var stateSize: Int { config.side * config.side * config.side * 4 }
    var parameters: [(name: String, tensor: Tensor)] { [("decoder.voxel.w", w), ("decoder.voxel.b", b)] }
    var queryFlopsPerPoint: Double { 8 * 4 * 2 }
    var setupFlopsPerObject: Double { 2 * Double(stateSize * config.codeDim) }

    init(config: VoxelConfig, rng: inout SplitMix64) {
        self.config = config
        w = Tensor([config.side * config.side * config.side * 4, config.codeDim])
        b = Tensor([config.side * config.side * config.side * 4])
        w.fillUniform(-0.5, 0.5, rng: &rng)
        b.fillUniform(-0.5, 0.5, rng: &rng)
    }

    final class Batch: FieldBatch {
        let raw: Tensor  // (N, 4)
        init(objects: Int, capacity: Int, stateSize: Int) {
            raw = Tensor([capacity, 4])
            super.init(objects: objects, capacity: capacity, stateSize: stateSize)
        }
    }

    func makeBatch(objects: Int, capacity: Int) -> FieldBatch {
        Batch(objects: objects, capacity: capacity, stateSize: stateSize)
    }

    func setup(state: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects: Int) {
        Linear.forward(
            out: state, inp: codes, weight: w.data, bias: b.data, N: objects, I: config.codeDim, O: stateSize)
    }

    /// The 8 corner indices (into E / 4 cells) and trilinear weights of a point.
    func corners(_ p: UnsafePointer<Float>) -> [(index: Int, weight: Float)] {
        let L = config.side
        var i0 = [Int](repeating: 0, count: 3), f = [Float](repeating: 0, count: 3)
        for k in 0..<3 {
            let u = min(max((p[k] / Float(config.box) + 1) * 0.5 * Float(L - 1), 0), Float(L - 1) - 1e-4)
            i0[k] = Int(u)
            f[k] = u - Float(i0[k])
        }
        var out: [(Int, Float)] = []
        for dx in 0...1 {
            for dy in 0...1 {
                for dz in 0...1 {
                    let wgt = (dx == 1 ? f[0] : 1 - f[0]) * (dy == 1 ? f[1] : 1 - f[1]) * (dz == 1 ? f[2] : 1 - f[2])
                    out.append((((i0[0] + dx) * L + i0[1] + dy) * L + i0[2] + dz, wgt))
                }
            }
        }
        return out
    }

    func query(points: UnsafePointer<Float>, batch: FieldBatch) {
        let a = batch as! Batch
        for bIndex in 0..<a.B {
            let (p0, P) = a.range(bIndex)
            let state = a.state.data + bIndex * stateSize
            for n in p0..<(p0 + P) {
                for c in 0..<4 { a.raw[4 * n + c] = 0 }
                for (i, wgt) in corners(points + 3 * n) {
                    for c in 0..<4 { a.raw[4 * n + c] += wgt * state[4 * i + c] }
                }
            }
        }
        FieldHead.forward(sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, bias: config.densityBias, N: a.N)
    }

    func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?
    ) {
        precondition(dPoints == nil, "the voxel toy has no point gradients")
        let a = batch as! Batch
        let dRaw = Tensor([a.N, 4]), dState = Tensor([a.B, stateSize])
        FieldHead.backward(
            dRaw: dRaw.data, dSigma: dSigma, dRGB: dRGB, raw: a.raw.data, sigma: a.sigma.data, rgb: a.rgb.data,
            bias: config.densityBias, N: a.N)
        for bIndex in 0..<a.B {
            let (p0, P) = a.range(bIndex)
            for n in p0..<(p0 + P) {
                for (i, wgt) in corners(points + 3 * n) {
                    for c in 0..<4 { dState[bIndex * stateSize + 4 * i + c] += wgt * dRaw[4 * n + c] }
                }
            }
        }
        Linear.backward(
            dInp: dCodes, dWeight: grads?[0].data, dBias: grads?[1].data, dOut: dState.data, inp: codes, weight: w.data,
            N: a.B,
            I: config.codeDim, O: stateSize)
    }
}
