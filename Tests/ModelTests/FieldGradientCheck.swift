import Model
import NeuralCore
import TestSupport
import XCTest

// B objects, N points (an even split), D code length.

/// Checks a field's `backward` (codes, weights and, when asked, points) against central
/// differences of `setup` + `query`: the contract every field kind must meet.
func checkFieldGradients(
    _ name: String, field: any RadianceField, codes: Tensor, points: Tensor, objects B: Int, pointGradients: Bool,
    eps: Float = 5e-4, rtol: Double = 3e-2, atol: Double = 3e-3, samplesPerInput: Int = 12,
    file: StaticString = #filePath, line: UInt = #line
) {
    let N = points.shape[0]
    let batch = field.makeBatch(objects: B, capacity: N)
    if let conditions = batch.conditions { fillViewingConditions(conditions, seed: 5) }
    let own = pointGradients ? [codes, points] : [codes]
    checkDensityColourGradients(
        name, inputs: own + field.parameters.map(\.tensor), N: N, eps: eps, rtol: rtol, atol: atol,
        samplesPerInput: samplesPerInput,
        forward: { sigma, rgb in
            field.setup(state: batch.state.data, codes: codes.data, objects: B)
            field.query(points: points.data, batch: batch)
            sigma.copy(from: batch.sigma)
            rgb.copy(from: batch.rgb)
        },
        backward: { dSigma, dRGB, g in
            let grads = ParameterGradients(names: field.parameters.map(\.name), tensors: Array(g.dropFirst(own.count)))
            field.backward(
                dSigma: dSigma.data, dRGB: dRGB.data, batch: batch, codes: codes.data, points: points.data,
                grads: grads, dCodes: g[0].data, dPoints: pointGradients ? g[1].data : nil)
        }, file: file, line: line)
}

/// `checkGradients` for ops whose outputs are density (N) and colour (N, 3): they are packed as
/// (N, 4) for the check and the output gradient handed back split.
func checkDensityColourGradients(
    _ name: String, inputs: [Tensor], N: Int, eps: Float = 1e-3, rtol: Double = 2e-2, atol: Double = 2e-3,
    samplesPerInput: Int = 48, forward: (_ sigma: Tensor, _ rgb: Tensor) -> Void,
    backward: (_ dSigma: Tensor, _ dRGB: Tensor, _ grads: [Tensor]) -> Void, file: StaticString = #filePath,
    line: UInt = #line
) {
    let sigma = Tensor([N]), rgb = Tensor([N, 3]), out = Tensor([N, 4])
    checkGradients(
        name, inputs: inputs, eps: eps, rtol: rtol, atol: atol, samplesPerInput: samplesPerInput,
        forward: {
            forward(sigma, rgb)
            for n in 0..<N {
                out[4 * n] = sigma[n]
                for c in 0..<3 { out[4 * n + 1 + c] = rgb[3 * n + c] }
            }
            return out
        },
        backward: { d, g in
            let dSigma = Tensor([N]), dRGB = Tensor([N, 3])
            for n in 0..<N {
                dSigma[n] = d[4 * n]
                for c in 0..<3 { dRGB[3 * n + c] = d[4 * n + 1 + c] }
            }
            backward(dSigma, dRGB, g)
        }, file: file, line: line)
}

/// Random viewing conditions (N, 12): unit view and light directions, positive key and sky light.
func fillViewingConditions(_ c: Tensor, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let V = ViewingConditions.count
    for n in 0..<c.shape[0] {
        for part in 0..<2 {
            var d = SIMD3<Float>(rng.nextNormal(), rng.nextNormal(), rng.nextNormal())
            d /= (d * d).sum().squareRoot()
            for k in 0..<3 { c[n * V + 3 * part + k] = d[k] }
        }
        for k in 6..<12 { c[n * V + k] = 0.2 + 0.8 * rng.nextFloat() }
    }
}
