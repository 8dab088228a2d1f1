import NeuralCore

// The left-right mirror of a triplane. R plane side, C channels; planes (3, R, R, C) are xy, xz
// and yz, u along a plane's columns and v along its rows (`BilinearSample`, `PlanePointMLP`).

/// The rig's cars are left-right symmetric: front along +x, up +z, so the mirror is y -> -y
/// (`RIG.md`). On the planes it is a permutation: the xy plane's rows reverse (v = y), the yz
/// plane's columns reverse (u = y), and the xz plane, the plane of symmetry, stays. A point's
/// feature (the sum of its three samples) at (x, -y, z) is then the mirror planes' at (x, y, z),
/// exactly, texel for texel (align_corners = false puts row j at -v where row R-1-j is at v).
public enum TriplaneMirror {
    /// out (3, R, R, C) = the mirror of inp (3, R, R, C) (out and inp must not overlap).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, R: Int, C: Int) {
        let plane = R * R * C
        for p in 0..<3 {
            for j in 0..<R {
                for i in 0..<R {
                    let (sj, si) = p == 0 ? (R - 1 - j, i) : p == 2 ? (j, R - 1 - i) : (j, i)
                    let dst = out + p * plane + (j * R + i) * C, src = inp + p * plane + (sj * R + si) * C
                    for c in 0..<C { dst[c] = src[c] }
                }
            }
        }
    }

    /// dInp += the mirror of dOut: the permutation is its own inverse and transpose.
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, R: Int, C: Int) {
        Scratch.with(3 * R * R * C) { m in
            forward(out: m, inp: dOut, R: R, C: C)
            for k in 0..<(3 * R * R * C) { dInp[k] += m[k] }
        }
    }

    /// Row (p, j)'s source row and whether its columns reverse, under the mirror.
    @inline(__always)
    static func source(plane p: Int, row j: Int, R: Int) -> (row: Int, reversed: Bool) {
        p == 0 ? (R - 1 - j, false) : (j, p == 2)
    }

    /// out (3, R, R, C) = scale (inp + mirror(inp)) / 2: the symmetric part, which a
    /// mirror-symmetric residual is made of by construction.
    public static func symmetrize(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, R: Int, C: Int, scale: Float = 1
    ) {
        halfSum(out: out, inp: inp, R: R, C: C, scale: scale, accumulate: false)
    }

    /// dInp += scale (dOut + mirror(dOut)) / 2 (the mirror is its own transpose).
    public static func symmetrizeBackward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, R: Int, C: Int, scale: Float = 1
    ) {
        halfSum(out: dInp, inp: dOut, R: R, C: C, scale: scale, accumulate: true)
    }

    /// out = (or +=) scale (inp + mirror(inp)) / 2, in one pass over rows on both cores.
    static func halfSum(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, R: Int, C: Int, scale: Float, accumulate: Bool
    ) {
        let h = 0.5 * scale
        Parallel.forRanges(3 * R, grain: 8) { rows in
            for row in rows {
                let p = row / R, j = row % R, (sj, reversed) = source(plane: p, row: j, R: R)
                let dst = out + (p * R + j) * R * C, a = inp + (p * R + j) * R * C, b = inp + (p * R + sj) * R * C
                for i in 0..<R {
                    let d = dst + i * C, x = a + i * C, y = b + (reversed ? R - 1 - i : i) * C
                    if accumulate {
                        for c in 0..<C { d[c] += h * (x[c] + y[c]) }
                    } else {
                        for c in 0..<C { d[c] = h * (x[c] + y[c]) }
                    }
                }
            }
        }
    }
}
