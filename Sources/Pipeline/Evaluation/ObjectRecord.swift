import Foundation

/// What one mode measured on one object: every figure a report aggregates, so that reports of
/// shards of a set (`eval --shard K/N`) merge into the report of the whole set (`eval --merge`).
public struct ObjectRecord: Codable, Sendable, Equatable {
    /// The object's place in the evaluated set's order (after --paint and --limit), and its folder.
    public var index: Int
    public var id: String
    /// Objects in the whole set (every shard's together), for `merge` to see a shard missing.
    public var setSize: Int
    /// The scored views' numbers, and per scored view its PSNR, SSIM and object PSNR.
    var views: [Int] = []
    var psnr: [Double] = []
    var ssim: [Double] = []
    var objectPSNR: [Double] = []
    /// PSNR of every view, scored or given, in view order.
    var allViewPSNR: [Double] = []
    var inputViewPSNR: [Double] = []
    var bicubicInputPSNR: Double?
    var tuneSteps: Double?
    var layerSteps: Double?
    var layerGain: Double?
    var layersKept: Bool?
    var seconds: Double = 0
    var encoderSeconds: Double?
    var azimuthError: Double?
    var elevationError: Double?
    /// Cosine of the codes inverted from two views of this object (the first objects only).
    var sameObjectCosine: Double?
    /// The code minus the model's mean code, for the cosine with the object before it.
    var centredCode: [Float]?
    var lightError: LightError?
    var farSideDeltaE: Double?
    var backPSNR: Double?
    var paint: String?

    init(index: Int, id: String, setSize: Int) {
        self.index = index
        self.id = id
        self.setSize = setSize
    }
}

extension ModeResult {
    /// The figures of `mode` from its objects' records, taken in set order (the order the means and
    /// the object-to-object cosines of an unsharded run go in). `keep`: the records go into the
    /// report too (a shard's, for `merge`).
    static func aggregate(mode: String, records given: [ObjectRecord], keep: Bool) -> ModeResult {
        let records = given.sorted { $0.index < $1.index }
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(max(1, x.count)) }
        func median(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.sorted()[x.count / 2] }
        func all(_ f: (ObjectRecord) -> [Double]) -> [Double] { records.flatMap(f) }
        func some(_ f: (ObjectRecord) -> Double?) -> [Double] { records.compactMap(f) }
        var perView: [Int: [Double]] = [:]
        for r in records { for (v, p) in zip(r.views, r.psnr) { perView[v, default: []].append(p) } }
        var other: [Double] = []
        for (a, b) in zip(records.dropFirst(), records) {
            if let x = a.centredCode, let y = b.centredCode {
                other.append(Evaluation.cosine(x, y, mean: [Float](repeating: 0, count: x.count)))
            }
        }
        let inputPSNR = all(\.inputViewPSNR), bicubic = some(\.bicubicInputPSNR), tune = some(\.tuneSteps)
        let layers = some(\.layerSteps), same = some(\.sameObjectCosine), enc = some(\.encoderSeconds)
        var result = ModeResult(
            mode: mode, objects: records.count, psnr: mean(all(\.psnr)), ssim: mean(all(\.ssim)),
            objectPSNR: mean(all(\.objectPSNR)), allViewPSNR: mean(all(\.allViewPSNR)),
            inputViewPSNR: inputPSNR.isEmpty ? nil : mean(inputPSNR),
            bicubicInputPSNR: bicubic.isEmpty ? nil : mean(bicubic),
            tuneSteps: tune.isEmpty ? nil : mean(tune), layerSteps: layers.isEmpty ? nil : mean(layers),
            secondsPerObject: mean(records.map(\.seconds)),
            perObjectPSNR: Dictionary(uniqueKeysWithValues: records.map { ($0.id, mean($0.psnr)) }),
            perViewPSNR: Dictionary(uniqueKeysWithValues: perView.map { ("\($0.key)", mean($0.value)) }),
            medianAzimuthError: median(some(\.azimuthError)), medianElevationError: median(some(\.elevationError)),
            sameObjectCosine: same.isEmpty ? nil : mean(same), otherObjectCosine: other.isEmpty ? nil : mean(other),
            encoderSeconds: enc.isEmpty ? nil : mean(enc))
        result.lightError = LightError.mean(records.compactMap(\.lightError))
        let gains = records.filter { $0.layerGain != nil }
        if !gains.isEmpty {
            result.perObjectLayerGain = Dictionary(uniqueKeysWithValues: gains.map { ($0.id, $0.layerGain!) })
            result.layersKept = records.filter { $0.layersKept == true }.count
        }
        let far = records.filter { $0.farSideDeltaE != nil }
        if !far.isEmpty {
            result.farSideDeltaE = mean(far.map { $0.farSideDeltaE! })
            result.perObjectFarSideDeltaE = Dictionary(uniqueKeysWithValues: far.map { ($0.id, $0.farSideDeltaE!) })
        }
        let back = records.filter { $0.backPSNR != nil }
        if !back.isEmpty {
            result.backPSNR = mean(back.map { $0.backPSNR! })
            let painted = Dictionary(grouping: back.filter { $0.paint != nil }, by: { $0.paint! })
            result.backPSNRByPaint =
                painted.isEmpty ? nil : painted.mapValues { mean($0.map { $0.backPSNR! }) }
        }
        let farPainted = Dictionary(grouping: far.filter { $0.paint != nil }, by: { $0.paint! })
        if !farPainted.isEmpty {
            result.farSideDeltaEByPaint = farPainted.mapValues { mean($0.map { $0.farSideDeltaE! }) }
            result.farSideCarsByPaint = farPainted.mapValues(\.count)
        }
        if keep { result.records = records }
        return result
    }
}
