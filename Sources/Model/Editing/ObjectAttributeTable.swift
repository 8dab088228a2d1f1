import Datasets
import FileIO
import Foundation
import NeuralCore

// O training objects (the code table's rows), A attributes.

/// The generator's attributes of every training object, beside the code table (the model file's
/// `attributes.values` and `attributes.known` tensors, the names in its config): what semantic
/// edit directions are fitted to.
public struct ObjectAttributeTable: Sendable {
    public let names: [String]  // (A)
    public let values: [Float]  // (O, A)
    /// Whether object o has attribute a (a grey car has no hue).
    public let known: [Bool]  // (O, A)
    public var objects: Int { values.count / max(1, names.count) }

    public init(names: [String], values: [Float], known: [Bool]) {
        precondition(values.count == known.count && values.count % max(1, names.count) == 0, "(O, A) values")
        self.names = names
        self.values = values
        self.known = known
    }

    /// From the objects' `attributes.json` in a dataset, in the order of `ids` (the code table's);
    /// nil when no object has one. The columns are every name any object has, sorted.
    public static func load(dataRoot: String, ids: [String]) throws -> ObjectAttributeTable? {
        let per = try ids.map { try AttributeFile.read(objectDir: "\(dataRoot)/\($0)") }
        guard per.contains(where: { $0 != nil }) else { return nil }
        let names = Set(per.compactMap { $0?.keys }.flatMap { $0 }).sorted()
        var values: [Float] = [], known: [Bool] = []
        for a in per {
            for n in names {
                values.append(Float(a?[n] ?? 0))
                known.append(a?[n] != nil)
            }
        }
        return ObjectAttributeTable(names: names, values: values, known: known)
    }

    /// As model-file tensors.
    public var tensors: [(name: String, tensor: Tensor)] {
        let A = names.count, O = objects
        return [
            ("attributes.values", Tensor([O, A], values: values)),
            ("attributes.known", Tensor([O, A], values: known.map { $0 ? 1 : 0 })),
        ]
    }

    /// From model-file tensors for `names` and O objects; nil when the file has none.
    public static func from(tensors: [String: Tensor], names: [String]?, objects O: Int) throws -> ObjectAttributeTable?
    {
        guard let names, !names.isEmpty else { return nil }
        guard let v = tensors["attributes.values"], let k = tensors["attributes.known"], v.shape == [O, names.count],
            k.shape == v.shape
        else { throw ModelError("its attribute tensors do not match \(names.count) attributes of \(O) objects") }
        return ObjectAttributeTable(names: names, values: v.array, known: k.array.map { $0 > 0.5 })
    }
}
