// Bilinear upsampling of channel-last planes by an integer factor. P planes, r the input side,
// R = f r the output side, C channels.

/// out (P, R, R, C): each plane of inp (P, r, r, C) resized bilinearly with pixel centres at
/// half-integers (output pixel i samples input position (i + 0.5) / f - 0.5, clamped to the edge
/// texels). The map commutes with flipping a plane's rows or columns, so a left-right symmetric
/// coarse residual stays symmetric at the fine side.
public enum PlaneUpsample {
    /// The two input indices and the weight of the second for output index i.
    @inline(__always)
    static func taps(_ i: Int, factor f: Int, side r: Int) -> (Int, Int, Float) {
        let x = (Float(i) + 0.5) / Float(f) - 0.5
        let lo = Int(x.rounded(.down))
        let w = x - Float(lo)
        return (min(max(lo, 0), r - 1), min(max(lo + 1, 0), r - 1), w)
    }

    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (P, R, R, C)
        inp: UnsafePointer<Float>,  // (P, r, r, C)
        P: Int, r: Int, factor f: Int, C: Int
    ) {
        let R = r * f
        Parallel.forRanges(P * R, grain: 8) { rows in
            for row in rows {
                let p = row / R, j = row % R
                let (j0, j1, wj) = taps(j, factor: f, side: r)
                let dst = out + row * R * C
                for i in 0..<R {
                    let (i0, i1, wi) = taps(i, factor: f, side: r)
                    let a = inp + ((p * r + j0) * r + i0) * C, b = inp + ((p * r + j0) * r + i1) * C
                    let c = inp + ((p * r + j1) * r + i0) * C, d = inp + ((p * r + j1) * r + i1) * C
                    let w00 = (1 - wj) * (1 - wi), w01 = (1 - wj) * wi, w10 = wj * (1 - wi), w11 = wj * wi
                    for k in 0..<C { dst[i * C + k] = w00 * a[k] + w01 * b[k] + w10 * c[k] + w11 * d[k] }
                }
            }
        }
    }

    /// dInp (P, r, r, C) += the transpose of `forward` applied to dOut (P, R, R, C). One thread a
    /// plane: neighbouring output rows add into the same input rows.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>,  // (P, r, r, C)
        dOut: UnsafePointer<Float>,  // (P, R, R, C)
        P: Int, r: Int, factor f: Int, C: Int
    ) {
        let R = r * f
        Parallel.forRanges(P, grain: 1) { planes in
            for p in planes {
                for j in 0..<R {
                    let (j0, j1, wj) = taps(j, factor: f, side: r)
                    let src = dOut + (p * R + j) * R * C
                    for i in 0..<R {
                        let (i0, i1, wi) = taps(i, factor: f, side: r)
                        let a = dInp + ((p * r + j0) * r + i0) * C, b = dInp + ((p * r + j0) * r + i1) * C
                        let c = dInp + ((p * r + j1) * r + i0) * C, d = dInp + ((p * r + j1) * r + i1) * C
                        let w00 = (1 - wj) * (1 - wi), w01 = (1 - wj) * wi, w10 = wj * (1 - wi), w11 = wj * wi
                        let g = src + i * C
                        for k in 0..<C {
                            a[k] += w00 * g[k]
                            b[k] += w01 * g[k]
                            c[k] += w10 * g[k]
                            d[k] += w11 * g[k]
                        }
                    }
                }
            }
        }
    }
}
