import NeuralCore

// A residual θ of one latent layer in its layout: (C, H, W) channel-first feature maps, or
// (3, R, R, C) channel-last planes. n = its floats; a grid is one channel of one map or plane.

/// Keeps a layered latent's residual in domain, in units of the layer's activation RMS (θ = r / s):
///
///     magnitude · mean(θ²) + smoothness · mean over neighbouring texels of (θ_a - θ_b)²
///
/// The first keeps the residual small next to what the generator puts there (a residual as large
/// as the activation replaces the generator instead of correcting it); the second keeps it from
/// painting single texels, which the photo's pixels can ask for but no other view confirms.
public struct LayerRegulariser: Sendable {
    public var magnitude: Float
    public var smoothness: Float

    public init(magnitude: Float, smoothness: Float) {
        self.magnitude = magnitude
        self.smoothness = smoothness
    }

    /// The 2D grids of a layout: (offset of texel (0, 0), row stride, column stride, rows, columns).
    static func grids(_ layout: LatentLayer.Layout) -> [(offset: Int, row: Int, column: Int, h: Int, w: Int)] {
        switch layout {
        case .featureMap(let c, let h, let w):
            return (0..<c).map { ($0 * h * w, w, 1, h, w) }
        case .triplane(let r, let c):
            return (0..<3).flatMap { p in (0..<c).map { (p * r * r * c + $0, r * c, c, r, r) } }
        }
    }

    /// Neighbouring pairs of a layout (horizontal and vertical), the smoothness term's denominator.
    static func pairCount(_ layout: LatentLayer.Layout) -> Int {
        grids(layout).reduce(0) { $0 + $1.h * ($1.w - 1) + ($1.h - 1) * $1.w }
    }

    /// Calls body(a, b) for every neighbouring pair of texels (flat indices).
    static func forEachPair(_ layout: LatentLayer.Layout, _ body: (Int, Int) -> Void) {
        for g in grids(layout) {
            for j in 0..<g.h {
                for i in 0..<g.w {
                    let a = g.offset + j * g.row + i * g.column
                    if i + 1 < g.w { body(a, a + g.column) }
                    if j + 1 < g.h { body(a, a + g.row) }
                }
            }
        }
    }

    /// The regulariser's value for θ (n) of a layer.
    public func forward(theta: UnsafePointer<Float>, layout: LatentLayer.Layout, count n: Int) -> Float {
        var square = 0.0, rough = 0.0
        for k in 0..<n { square += Double(theta[k]) * Double(theta[k]) }
        if smoothness > 0 {
            Self.forEachPair(layout) { a, b in
                let d = Double(theta[a] - theta[b])
                rough += d * d
            }
        }
        let pairs = Double(max(1, Self.pairCount(layout)))
        return Float(Double(magnitude) * square / Double(max(1, n)) + Double(smoothness) * rough / pairs)
    }

    /// A layout as G blocks of H x W texels with V contiguous floats each: element (g, j, i, v) at
    /// ((g H + j) W + i) V + v. Planes are (3, R, R, C); a feature map is (C, H, W, 1).
    static func blocks(_ layout: LatentLayer.Layout) -> (g: Int, h: Int, w: Int, v: Int) {
        switch layout {
        case .featureMap(let c, let h, let w): (c, h, w, 1)
        case .triplane(let r, let c): (3, r, r, c)
        }
    }

    /// The value, with dTheta (n) += its gradient, in one pass over θ on both cores: the fast twin
    /// of `forward` + `backward` (which visit a channel-last plane's texels one channel at a time,
    /// 3C strided sweeps of the planes a step). Each texel gathers its gradient from its own
    /// neighbours, so rows split across threads without two writing one texel; each pair's square
    /// is counted once, at its left or upper texel.
    public func valueAndGradient(
        dTheta: UnsafeMutablePointer<Float>, theta: UnsafePointer<Float>, layout: LatentLayer.Layout, count n: Int
    ) -> Float {
        let (G, H, W, V) = Self.blocks(layout)
        precondition(G * H * W * V == n, "layout of \(G * H * W * V) floats, residual of \(n)")
        let m = 2 * magnitude / Float(max(1, n)), s = 2 * smoothness / Float(max(1, Self.pairCount(layout)))
        let rowLength = W * V
        let partial = UnsafeMutablePointer<(Double, Double)>.allocate(capacity: Parallel.threads)
        defer { partial.deallocate() }
        partial.initialize(repeating: (0, 0), count: Parallel.threads)
        let chunks = Parallel.forChunks(G * H, grain: 16) { chunk, rows in
            var square: Float = 0, rough: Float = 0
            var squares = 0.0, roughs = 0.0
            for row in rows {
                let j = row % H, base = row * rowLength
                let t = theta + base, d = dTheta + base
                let up: UnsafePointer<Float>? = j > 0 ? t - rowLength : nil
                let down: UnsafePointer<Float>? = j + 1 < H ? t + rowLength : nil
                square = 0
                rough = 0
                for k in 0..<rowLength {
                    let x = t[k]
                    var g = m * x
                    square += x * x
                    if k >= V { g += s * (x - t[k - V]) }
                    if k + V < rowLength {
                        let e = x - t[k + V]
                        g += s * e
                        rough += e * e
                    }
                    if let up { g += s * (x - up[k]) }
                    if let down {
                        let e = x - down[k]
                        g += s * e
                        rough += e * e
                    }
                    d[k] += g
                }
                squares += Double(square)
                roughs += Double(rough)
            }
            partial[chunk] = (squares, roughs)
        }
        var square = 0.0, rough = 0.0
        for c in 0..<chunks {
            square += partial[c].0
            rough += partial[c].1
        }
        let pairs = Double(max(1, Self.pairCount(layout)))
        return Float(Double(magnitude) * square / Double(max(1, n)) + Double(smoothness) * rough / pairs)
    }

    /// dTheta (n) += d value / d θ.
    public func backward(
        dTheta: UnsafeMutablePointer<Float>, theta: UnsafePointer<Float>, layout: LatentLayer.Layout, count n: Int
    ) {
        let m = 2 * magnitude / Float(max(1, n))
        for k in 0..<n { dTheta[k] += m * theta[k] }
        guard smoothness > 0 else { return }
        let s = 2 * smoothness / Float(max(1, Self.pairCount(layout)))
        Self.forEachPair(layout) { a, b in
            let g = s * (theta[a] - theta[b])
            dTheta[a] += g
            dTheta[b] -= g
        }
    }
}
