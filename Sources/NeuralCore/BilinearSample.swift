import Foundation

// Bilinear sampling of 2D feature planes, summed over planes (a triplane read is P = 3).
// N query points, P planes, H W plane size, C channels (channel-last, so one tap is one contiguous row).

/// out (N, C) = Σ_p bilinear(planes[p] (H, W, C), uv (N, P, 2)).
/// uv in [-1, 1]: u along W, v along H, -1 and 1 at the outer pixel edges (align_corners = false);
/// coordinates outside are clamped to the border, where the gradient w.r.t. uv is 0.
public enum BilinearSample {
    /// One bilinear tap set: the four texel offsets (in floats), the weights and the d(x, y)/d(u, v) gates.
    @usableFromInline
    struct Taps {
        var o00, o01, o10, o11: Int
        var fx, fy: Float
        var gx, gy: Float  // dx/du and dy/dv, 0 where clamped
    }

    @inline(__always) @usableFromInline
    static func taps(u: Float, v: Float, H: Int, W: Int, C: Int) -> Taps {
        var x = (u + 1) * 0.5 * Float(W) - 0.5
        var y = (v + 1) * 0.5 * Float(H) - 0.5
        var gx = 0.5 * Float(W), gy = 0.5 * Float(H)
        let xmax = Float(W - 1), ymax = Float(H - 1)
        if !(x > 0) {
            x = 0
            gx = 0
        } else if x >= xmax {
            x = xmax
            gx = 0
        }
        if !(y > 0) {
            y = 0
            gy = 0
        } else if y >= ymax {
            y = ymax
            gy = 0
        }
        let x0 = min(Int(x), W - 1), y0 = min(Int(y), H - 1)
        let x1 = min(x0 + 1, W - 1), y1 = min(y0 + 1, H - 1)
        return Taps(
            o00: (y0 * W + x0) * C, o01: (y0 * W + x1) * C, o10: (y1 * W + x0) * C, o11: (y1 * W + x1) * C,
            fx: x - Float(x0), fy: y - Float(y0), gx: gx, gy: gy)
    }

    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, C)
        planes: UnsafePointer<Float>,  // (P, H, W, C)
        uv: UnsafePointer<Float>,  // (N, P, 2)
        N: Int, P: Int, H: Int, W: Int, C: Int
    ) {
        Parallel.forRanges(N, grain: 2048) { range in
            for n in range {
                let o = out + n * C
                o.update(repeating: 0, count: C)
                for p in 0..<P {
                    let t = taps(u: uv[(n * P + p) * 2], v: uv[(n * P + p) * 2 + 1], H: H, W: W, C: C)
                    let base = planes + p * H * W * C
                    let w00 = (1 - t.fx) * (1 - t.fy), w01 = t.fx * (1 - t.fy), w10 = (1 - t.fx) * t.fy,
                        w11 = t.fx * t.fy
                    let a = base + t.o00, b = base + t.o01, c = base + t.o10, d = base + t.o11
                    if C == 16 {  // the planes' width: one 16-float vector a tap, the same sums per channel
                        let r = w00 * V16.load(a) + w01 * V16.load(b) + w10 * V16.load(c) + w11 * V16.load(d)
                        V16.store(V16.load(o) + r, o)
                        continue
                    }
                    for ch in 0..<C { o[ch] += w00 * a[ch] + w01 * b[ch] + w10 * c[ch] + w11 * d[ch] }
                }
            }
        }
    }

    /// Adds into dPlanes and/or dUV. Threads scatter into private copies of dPlanes, summed at the end.
    public static func backward(
        dPlanes: UnsafeMutablePointer<Float>?,  // (P, H, W, C)
        dUV: UnsafeMutablePointer<Float>?,  // (N, P, 2)
        dOut: UnsafePointer<Float>,  // (N, C)
        planes: UnsafePointer<Float>,  // (P, H, W, C)
        uv: UnsafePointer<Float>,  // (N, P, 2)
        N: Int, P: Int, H: Int, W: Int, C: Int
    ) {
        let planeCount = P * H * W * C
        let threads = min(Parallel.threads, max(1, N / 2048))
        // Thread 0 writes straight into dPlanes; the others into scratch (threads-1, P, H, W, C).
        // Borrowed, not allocated: a fresh 9 MB buffer (128² planes) faults in page by page every step.
        Scratch.with(max(1, (threads - 1) * planeCount)) { scratch in
            scatter(
                dPlanes: dPlanes, dUV: dUV, dOut: dOut, planes: planes, uv: uv, N: N, P: P, H: H, W: W, C: C,
                threads: threads, scratch: scratch)
        }
    }

    /// `backward` with its other threads' scratch planes given.
    static func scatter(
        dPlanes: UnsafeMutablePointer<Float>?, dUV: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
        planes: UnsafePointer<Float>, uv: UnsafePointer<Float>, N: Int, P: Int, H: Int, W: Int, C: Int,
        threads: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let planeCount = P * H * W * C
        if dPlanes != nil && threads > 1 { scratch.initialize(repeating: 0, count: (threads - 1) * planeCount) }
        Parallel.forChunks(N, grain: max(1, N / threads)) { chunk, range in
            let dst: UnsafeMutablePointer<Float>? = dPlanes.map { chunk == 0 ? $0 : scratch + (chunk - 1) * planeCount }
            for n in range {
                let g = dOut + n * C
                for p in 0..<P {
                    let t = taps(u: uv[(n * P + p) * 2], v: uv[(n * P + p) * 2 + 1], H: H, W: W, C: C)
                    if let dst {
                        let base = dst + p * H * W * C
                        let w00 = (1 - t.fx) * (1 - t.fy), w01 = t.fx * (1 - t.fy), w10 = (1 - t.fx) * t.fy,
                            w11 = t.fx * t.fy
                        let a = base + t.o00, b = base + t.o01, c = base + t.o10, d = base + t.o11
                        if C == 16 {
                            // Corner by corner, as the loop below: corners that coincide at a border add up.
                            let gv = V16.load(g)
                            V16.store(V16.load(a) + w00 * gv, a)
                            V16.store(V16.load(b) + w01 * gv, b)
                            V16.store(V16.load(c) + w10 * gv, c)
                            V16.store(V16.load(d) + w11 * gv, d)
                        } else {
                            for ch in 0..<C {
                                a[ch] += w00 * g[ch]
                                b[ch] += w01 * g[ch]
                                c[ch] += w10 * g[ch]
                                d[ch] += w11 * g[ch]
                            }
                        }
                    }
                    if let dUV, t.gx != 0 || t.gy != 0 {
                        let base = planes + p * H * W * C
                        let a = base + t.o00, b = base + t.o01, c = base + t.o10, d = base + t.o11
                        var sx: Float = 0, sy: Float = 0
                        if C == 16 {
                            let gv = V16.load(g), av = V16.load(a), bv = V16.load(b), cv = V16.load(c), dv = V16.load(d)
                            sx = (gv * ((bv - av) * (1 - t.fy) + (dv - cv) * t.fy)).sum()
                            sy = (gv * ((cv - av) * (1 - t.fx) + (dv - bv) * t.fx)).sum()
                        } else {
                            for ch in 0..<C {
                                // d out / d fx and d out / d fy, dotted with the incoming gradient.
                                sx += g[ch] * ((b[ch] - a[ch]) * (1 - t.fy) + (d[ch] - c[ch]) * t.fy)
                                sy += g[ch] * ((c[ch] - a[ch]) * (1 - t.fx) + (d[ch] - b[ch]) * t.fx)
                            }
                        }
                        dUV[(n * P + p) * 2] += sx * t.gx
                        dUV[(n * P + p) * 2 + 1] += sy * t.gy
                    }
                }
            }
        }
        if let dPlanes, threads > 1 {
            Parallel.forRanges(planeCount, grain: 16384) { r in
                for t in 0..<(threads - 1) {
                    let src = scratch + t * planeCount
                    for i in r { dPlanes[i] += src[i] }
                }
            }
        }
    }

    /// Per-point, per-tap reference in Double with explicit corner weights: the check for `forward`.
    public static func forwardReference(
        out: UnsafeMutablePointer<Float>, planes: UnsafePointer<Float>, uv: UnsafePointer<Float>,
        N: Int, P: Int, H: Int, W: Int, C: Int
    ) {
        for n in 0..<N {
            for ch in 0..<C {
                var acc = 0.0
                for p in 0..<P {
                    let u = Double(uv[(n * P + p) * 2]), v = Double(uv[(n * P + p) * 2 + 1])
                    let x = min(max((u + 1) / 2 * Double(W) - 0.5, 0), Double(W - 1))
                    let y = min(max((v + 1) / 2 * Double(H) - 0.5, 0), Double(H - 1))
                    let x0 = Int(floor(x)), y0 = Int(floor(y))
                    for (yy, wy) in [(y0, 1 - (y - Double(y0))), (y0 + 1, y - Double(y0))] {
                        for (xx, wx) in [(x0, 1 - (x - Double(x0))), (x0 + 1, x - Double(x0))] {
                            guard wx * wy != 0 else { continue }
                            let cy = min(yy, H - 1), cx = min(xx, W - 1)
                            acc += wx * wy * Double(planes[((p * H + cy) * W + cx) * C + ch])
                        }
                    }
                }
                out[n * C + ch] = Float(acc)
            }
        }
    }
}

/// 16 floats, one triplane texel: unaligned loads and stores.
@usableFromInline
enum V16 {
    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) @usableFromInline
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> { load(UnsafePointer(p)) }
    @inline(__always) @usableFromInline
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
