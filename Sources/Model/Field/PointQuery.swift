import Datasets
import NeuralCore

// One object's state (E) queried at N points (N, 3), C points at a time, V floats of viewing
// conditions per point.

extension RadianceField {
    /// Density (N) and colour (N, 3) of one object's state (E) at points (N, 3), queried `chunk`
    /// points at a time so memory stays bounded whatever N is. A field whose colour takes viewing
    /// conditions sees each point from `towards(i)` (the direction from point i to the eye; nil:
    /// from the light itself, every visible point lit) under `light`.
    ///
    /// With `albedo` a lit field's colour is its albedo, without light (`FieldBatch.albedoOnly`).
    ///
    /// Rendering, the occupancy grid and mesh extraction all query points through this.
    public func query(
        state: UnsafePointer<Float>, points: UnsafePointer<Float>, count N: Int, chunk: Int,
        light: ViewLight = .canonical, towards: ((Int) -> SIMD3<Float>)? = nil, densityOnly: Bool = false,
        albedo: Bool = false
    ) -> (sigma: [Float], rgb: [Float]) {
        precondition(chunk >= 1, "a chunk holds at least one point")
        var sigma = [Float](repeating: 0, count: N)  // (N)
        var rgb = [Float](repeating: 0, count: 3 * N)  // (N, 3)
        guard N > 0 else { return (sigma, rgb) }
        let C = min(chunk, N)
        let batch = makeBatch(objects: 1, capacity: C)
        batch.densityOnly = densityOnly
        batch.albedoOnly = albedo
        batch.state.data.update(from: state, count: stateSize)
        let packed = light.packed
        for start in stride(from: 0, to: N, by: C) {
            let n = min(C, N - start)
            batch.setCounts([n])
            if let conditions = batch.conditions {
                let V = ViewingConditions.count
                for i in 0..<n {
                    let d = towards?(start + i) ?? light.direction
                    let c = conditions.data + i * V
                    c[0] = d.x
                    c[1] = d.y
                    c[2] = d.z
                    for j in 0..<packed.count { c[3 + j] = packed[j] }
                }
            }
            query(points: points + 3 * start, batch: batch)
            sigma.withUnsafeMutableBufferPointer {
                $0.baseAddress!.advanced(by: start).update(from: batch.sigma.data, count: n)
            }
            rgb.withUnsafeMutableBufferPointer {
                $0.baseAddress!.advanced(by: 3 * start).update(from: batch.rgb.data, count: 3 * n)
            }
        }
        return (sigma, rgb)
    }
}
