import Datasets
import NeuralCore

// R rays, S samples per ray, M kept samples.

/// What a sample's colour may depend on besides its position: the unit direction from the sample
/// towards the camera (3) and the view's light (`ViewLight.packed`, 9). Fields whose colour ignores
/// them (`conditionSize` 0) never see them.
public enum ViewingConditions {
    public static let count = 3 + ViewLight.count

    /// conditions (M, V) of kept samples (ray of sample m: kept[m] / S) from ray directions (R, 3) and
    /// per-ray lights (R, 9).
    static func gather(
        _ conditions: UnsafeMutablePointer<Float>, kept: [Int32], S: Int, directions: UnsafePointer<Float>,
        lights: UnsafePointer<Float>
    ) {
        let V = count, L = ViewLight.count
        kept.withUnsafeBufferPointer { k in
            Parallel.forRanges(k.count, grain: 8192) { range in
                for m in range {
                    let r = Int(k[m]) / S
                    let c = conditions + m * V
                    let d = SIMD3(directions[3 * r], directions[3 * r + 1], directions[3 * r + 2])
                    let u = d / (d * d).sum().squareRoot()
                    c[0] = -u.x
                    c[1] = -u.y
                    c[2] = -u.z
                    for j in 0..<L { c[3 + j] = lights[r * L + j] }
                }
            }
        }
    }
}
