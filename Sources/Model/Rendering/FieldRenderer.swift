import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// Inference rendering of one identity code. R rays, S samples per ray, M evaluated samples,
// E floats of field state, W H image size.

/// Renders a code from any camera: the field's state is set up once, empty space is skipped with an
/// occupancy grid, and rays stop once their transmittance falls below `earlyStop`. Samples are
/// the training midpoints, so a frame shows what training fitted.
public final class FieldRenderer {
    public let field: any RadianceField
    public let state: Tensor  // (1, E)
    public let grid: OccupancyGrid
    /// The light a lit field is rendered under (fields whose colour ignores light ignore it).
    public var light = ViewLight.canonical
    /// Transmittance below which the rest of a ray cannot change its colour by 1/1000.
    static let earlyStop: Float = 1e-3
    /// Samples per ray evaluated per round before rays are checked for early termination.
    static let round = 12

    public init(field: any RadianceField, code: [Float], skipEmptySpace: Bool = true) {
        self.field = field
        state = field.state(of: code)
        grid =
            skipEmptySpace
            ? OccupancyGrid(field: field, state: state.data)
            : OccupancyGrid(everythingOccupiedIn: Float(field.spec.box))
    }

    /// A code rendered with a grid of `gridResolution` cells a side (coarser than the field's: a
    /// quicker lattice query for a code rendered once, at the cost of more samples evaluated).
    public init(field: any RadianceField, code: [Float], gridResolution: Int) {
        self.field = field
        state = field.state(of: code)
        grid = OccupancyGrid(field: field, state: state.data, resolution: gridResolution)
    }

    /// A code rendered with a grid found before (a nearby code's, e.g. the training code's while an
    /// encoder's estimate of it moves): no lattice query per code.
    public init(field: any RadianceField, code: [Float], grid: OccupancyGrid) {
        self.field = field
        state = field.state(of: code)
        self.grid = grid
    }

    public struct Output {
        public var image: RGBAImage  // sRGB over the background, alpha = opacity
        public var depth: [Float]  // (H, W) expected camera-z depth where opacity > 0.5, else 0
        public var evaluatedSamples: Int
    }

    /// Renders rays (origins (R, 3), directions (R, 3), unit length); returns rgb (R, 3),
    /// opacity (R) and expected t (R).
    func renderRays(origins: [SIMD3<Float>], directions: [SIMD3<Float>]) -> (
        rgb: [SIMD3<Float>], opacity: [Float], t: [Float], evaluated: Int
    ) {
        let spec = field.spec
        let R = origins.count, S = spec.samplesPerRay, box = Float(spec.box)
        let bg = spec.backgroundColour
        var near = [Float](repeating: 0, count: R), far = [Float](repeating: 0, count: R)
        for r in 0..<R { (near[r], far[r]) = RaySampling.clip(origin: origins[r], direction: directions[r], box: box) }
        var transmittance = [Float](repeating: 1, count: R)  // so far
        var colour = [SIMD3<Float>](repeating: .zero, count: R)
        var depth = [Float](repeating: 0, count: R)
        var active = (0..<R).filter { far[$0] > near[$0] }
        var evaluated = 0
        var start = 0
        while start < S && !active.isEmpty {
            let end = min(S, start + Self.round)
            // Gather the occupied samples of the active rays for this round, one slice of rays per
            // thread; slices are concatenated in order, so each ray's samples stay contiguous and sorted.
            let slices = min(Parallel.threads, max(1, active.count / 256))
            var owners = [[Int32]](repeating: [], count: slices), indices = [[Int32]](repeating: [], count: slices)
            var points = [[Float]](repeating: [], count: slices)
            let activeNow = active
            owners.withUnsafeMutableBufferPointer { ow in
                indices.withUnsafeMutableBufferPointer { ix in
                    points.withUnsafeMutableBufferPointer { pt in
                        DispatchQueue.concurrentPerform(iterations: slices) { c in
                            let lo = activeNow.count * c / slices, hi = activeNow.count * (c + 1) / slices
                            var o: [Int32] = [], x: [Int32] = [], p: [Float] = []
                            o.reserveCapacity((hi - lo) * (end - start))
                            x.reserveCapacity((hi - lo) * (end - start))
                            p.reserveCapacity(3 * (hi - lo) * (end - start))
                            for a in lo..<hi {
                                let r = activeNow[a]
                                let step = (far[r] - near[r]) / Float(S)
                                for i in start..<end {
                                    let q = origins[r] + (near[r] + (Float(i) + 0.5) * step) * directions[r]
                                    if grid.isOccupied(q) {
                                        o.append(Int32(r))
                                        x.append(Int32(i))
                                        p.append(q.x)
                                        p.append(q.y)
                                        p.append(q.z)
                                    }
                                }
                            }
                            ow[c] = o
                            ix[c] = x
                            pt[c] = p
                        }
                    }
                }
            }
            let owner = owners.flatMap { $0 }, index = indices.flatMap { $0 }, pts = points.flatMap { $0 }
            var sigma = [Float](), rgb = [Float]()
            let M = owner.count
            if M > 0 {
                // The tile's samples in one chunk (a tile bounds them already).
                (sigma, rgb) = pts.withUnsafeBufferPointer {
                    field.query(
                        state: state.data, points: $0.baseAddress!, count: M, chunk: M, light: light,
                        towards: { -directions[Int(owner[$0])] })
                }
                evaluated += M
            }
            // Composite in order (samples of a ray are contiguous and increasing).
            var k = 0
            for r in active {
                let step = (far[r] - near[r]) / Float(S)
                while k < M && Int(owner[k]) == r {
                    let i = Int(index[k])
                    let delta = i + 1 < S ? step : far[r] - (near[r] + (Float(i) + 0.5) * step)
                    let trans = exp(-sigma[k] * delta)
                    let w = transmittance[r] * (1 - trans)
                    colour[r] += w * SIMD3(rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2])
                    depth[r] += w * (near[r] + (Float(i) + 0.5) * step)
                    transmittance[r] *= trans
                    k += 1
                }
            }
            active = active.filter { transmittance[$0] > Self.earlyStop }
            start = end
        }
        var out = [SIMD3<Float>](repeating: .zero, count: R)
        for r in 0..<R { out[r] = colour[r] + transmittance[r] * bg }
        return (out, transmittance.map { 1 - $0 }, depth, evaluated)
    }

    /// Rays rendered together: memory stays bounded (about 2 KB per ray in flight, ~40 MB) whatever
    /// the image size, and a tile is still large enough to keep both cores busy.
    static let tileRays = 16384

    /// Renders a full image from a camera, a tile of rows at a time.
    public func render(camera: Camera) -> Output {
        let W = camera.intrinsics.width, H = camera.intrinsics.height
        var img = RGBAImage(width: W, height: H)
        var depth = [Float](repeating: 0, count: W * H)
        var evaluated = 0
        let fwd = SIMD3<Float>(camera.rotation[2])
        let rowsPerTile = max(1, Self.tileRays / max(1, W))
        var row = 0
        while row < H {
            let rows = min(rowsPerTile, H - row)
            var origins = [SIMD3<Float>](), dirs = [SIMD3<Float>]()
            origins.reserveCapacity(W * rows)
            dirs.reserveCapacity(W * rows)
            for j in row..<(row + rows) {
                for i in 0..<W {
                    let r = camera.ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
                    origins.append(SIMD3<Float>(r.origin))
                    dirs.append(SIMD3<Float>(r.direction))
                }
            }
            let res = renderRays(origins: origins, directions: dirs)
            evaluated += res.evaluated
            for t in 0..<(W * rows) {
                let k = row * W + t
                img.pixels[4 * k] = res.rgb[t].x
                img.pixels[4 * k + 1] = res.rgb[t].y
                img.pixels[4 * k + 2] = res.rgb[t].z
                img.pixels[4 * k + 3] = res.opacity[t]
                if res.opacity[t] > 0.5 { depth[k] = res.t[t] / res.opacity[t] * (dirs[t] * fwd).sum() }
            }
            row += rows
        }
        return Output(image: img, depth: depth, evaluatedSamples: evaluated)
    }
}
