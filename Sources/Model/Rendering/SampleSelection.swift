import Foundation
import NeuralCore

// Empty-space skipping for ray batches that need gradients. B objects, Q rays per object,
// R = B Q rays (object b owns rays [b Q, (b+1) Q)), S samples per ray, N = R S samples, M kept.

/// Which samples of a ray batch the decoder evaluates during training and inversion: those inside
/// occupied cells of their object's occupancy grid, plus every sample of a few "probe" rays.
/// Skipped samples get zero density, so the compositor (which keeps the full (R, S) layout) sees
/// them as the empty space the grid says they are. Probe rays sample everywhere, so density the grid
/// does not know about (a floater to remove, a part still to grow) keeps receiving gradients.
final class SampleSelection {
    /// Indices into the N samples, grouped by object, then ray, then sample order.
    private(set) var kept: [Int32] = []  // (M)
    /// Kept samples per object.
    private(set) var counts: [Int] = []  // (B)
    var M: Int { kept.count }

    public init() {}

    /// Keeps sample n = r S + i when ray r is a probe, its object has no grid (nil: keep all), or its
    /// point lies in an occupied cell. points (N, 3); grids (B); probe (R).
    func select(points: UnsafePointer<Float>, grids: [OccupancyGrid?], probe: [Bool], R: Int, S: Int) {
        let B = grids.count, Q = R / B
        precondition(Q * B == R && probe.count == R, "rays must split evenly over objects, one probe flag per ray")
        var rayCount = [Int](repeating: 0, count: R + 1)  // (R + 1), then exclusive prefix sums
        var mask = [Bool](repeating: false, count: R * S)  // (R, S)
        mask.withUnsafeMutableBufferPointer { m in
            rayCount.withUnsafeMutableBufferPointer { rc in
                Parallel.forRanges(R, grain: 256) { rays in
                    for r in rays {
                        let grid = probe[r] ? nil : grids[r / Q]
                        var c = 0
                        for i in 0..<S {
                            let n = r * S + i
                            let keep =
                                grid?.isOccupied(SIMD3(points[3 * n], points[3 * n + 1], points[3 * n + 2])) ?? true
                            m[n] = keep
                            if keep { c += 1 }
                        }
                        rc[r] = c
                    }
                }
            }
        }
        var total = 0
        for r in 0..<R {
            let c = rayCount[r]
            rayCount[r] = total
            total += c
        }
        rayCount[R] = total
        counts = (0..<B).map { rayCount[($0 + 1) * Q] - rayCount[$0 * Q] }
        kept = [Int32](repeating: 0, count: total)
        kept.withUnsafeMutableBufferPointer { k in
            Parallel.forRanges(R, grain: 256) { rays in
                for r in rays {
                    var j = rayCount[r]
                    for i in 0..<S where mask[r * S + i] {
                        k[j] = Int32(r * S + i)
                        j += 1
                    }
                }
            }
        }
    }

    /// compact (M, width) = full[kept] (full (N, width)).
    func gather(_ compact: UnsafeMutablePointer<Float>, from full: UnsafePointer<Float>, width: Int) {
        kept.withUnsafeBufferPointer { k in
            Parallel.forRanges(k.count, grain: 16384) { range in
                for m in range {
                    let n = Int(k[m])
                    for c in 0..<width { compact[m * width + c] = full[n * width + c] }
                }
            }
        }
    }

    /// full (N, width) = 0 except full[kept[m]] = compact[m] (compact (M, width)).
    func scatter(_ full: UnsafeMutablePointer<Float>, from compact: UnsafePointer<Float>, width: Int, N: Int) {
        Parallel.forRanges(N * width, grain: 65536) { r in (full + r.lowerBound).update(repeating: 0, count: r.count) }
        kept.withUnsafeBufferPointer { k in
            Parallel.forRanges(k.count, grain: 16384) { range in
                for m in range {
                    let n = Int(k[m])
                    for c in 0..<width { full[n * width + c] = compact[m * width + c] }
                }
            }
        }
    }
}
