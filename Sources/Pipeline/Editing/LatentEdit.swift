import FileIO
import Foundation
import Imaging
import Model
import NeuralCore

/// What `edit` moves a latent along.
public enum EditDirection: Sendable {
    /// The k-th principal direction of the code table (0: the most variance).
    case principal(Int)
    /// A semantic attribute's direction; `independent`: the other attributes' directions projected out.
    case attribute(String, independent: Bool)

    /// "pc1", "pc2", ... as a principal direction; nil for anything else.
    public static func principal(named name: String) -> EditDirection? {
        guard name.lowercased().hasPrefix("pc"), let n = Int(name.dropFirst(2)), n >= 1 else { return nil }
        return .principal(n - 1)
    }
}

/// One edit of a latent, written, and what it did.
public struct EditOutcome {
    public var latent: LatentFile
    public var fields: [String: Any]
    public var summary: String
}

extension LatentEditing {
    /// The model's code table as a distribution, or an error naming the model.
    static func distribution(of model: NeRFModel) throws -> CodeDistribution {
        guard let d = CodeDistribution(codes: model.codes) else {
            throw ModelError(
                "\(model.identity.name): its code table cannot be decomposed (fewer than two codes, or NaN)")
        }
        return d
    }

    /// The attribute table of a model, or of the dataset it was trained on (`data`).
    static func attributeTable(of model: NeRFModel, data: String?) throws -> ObjectAttributeTable {
        if let t = model.attributes { return t }
        guard let data else {
            throw ModelError(
                "\(model.identity.name) keeps no object attributes (trained before they were recorded): name its training data with --data"
            )
        }
        guard let t = try ObjectAttributeTable.load(dataRoot: data, ids: model.config.objects) else {
            throw FileError(
                path: data,
                reason:
                    "has no attributes.json beside its objects: rerun its `nerfinv generate` command (it adds them without rendering)"
            )
        }
        return t
    }

    /// The semantic directions of a model's attributes, or an error naming the model.
    public static func attributeDirections(of model: NeRFModel, data: String?) throws -> AttributeDirections {
        let table = try attributeTable(of: model, data: data)
        guard let d = AttributeDirections(codes: model.codes, table: table) else {
            throw ModelError(
                "\(model.identity.name): the attributes cannot be regressed on its codes (too few objects have them)")
        }
        return d
    }

    /// Moves the latent at `path` by `amount` standard deviations along `direction` and writes it
    /// to `out`, with a sheet of five amounts from three sides at `sheet` when given (both or none).
    public static func edit(
        _ path: String, model: NeRFModel, along direction: EditDirection, amount: Float, data: String? = nil,
        camera: RenderCamera, out: String, sheet: String? = nil
    ) throws -> EditOutcome {
        let source = try LatentFile.read(path, for: model)
        let amounts: [Float] = [-1, -0.5, 0, 0.5, 1].map { $0 * abs(amount) }
        if sheet != nil {
            try MemoryPlan.checkFrames(
                side: camera.size, kept: 2 * amounts.count * 3,
                what: "an edit sheet of \(amounts.count * 3) views at \(camera.size)x\(camera.size)")
        }
        // Per direction: the code moved by an amount, the edit's name, and what the report says.
        let moved: (Float) -> [Float]
        let method: String
        let report: (_ edited: [Float]) -> (fields: [String: Any], summary: String)
        switch direction {
        case .principal(let k):
            let d = try distribution(of: model)
            guard k < d.directions.count else {
                throw ModelError("the model's codes have \(d.directions.count) principal directions, not \(k + 1)")
            }
            moved = { d.moved(source.identity, direction: k, amount: $0) }
            method = String(format: "edit pc%d %+.2f", k + 1, amount)
            report = { _ in
                (
                    ["out": out, "direction": k + 1, "amount": Double(amount), "deviation": Double(d.deviations[k])],
                    String(format: "wrote %@ (pc%d, %+.2f deviations of %.3f)", out, k + 1, amount, d.deviations[k])
                )
            }
        case .attribute(let name, let independent):
            let dirs = try attributeDirections(of: model, data: data)
            guard let a = dirs.names.firstIndex(of: name) else {
                throw ModelError("no attribute '\(name)'; the model has \(dirs.names.joined(separator: ", "))")
            }
            moved = { dirs.moved(source.identity, attribute: a, amount: $0, independent: independent) }
            method = String(format: "edit %@ %+.2f σ%@", name, amount, independent ? " (independent)" : "")
            report = { edited in
                let before = dirs.predict(source.identity, attribute: a), after = dirs.predict(edited, attribute: a)
                return (
                    [
                        "out": out, "attribute": name, "amount": Double(amount), "predicted_before": before,
                        "predicted_after": after,
                    ],
                    String(
                        format:
                            "wrote %@ (%@ %+.2f σ: predicted %.3f -> %.3f; the direction explains %.0f%% of its variance)",
                        out, name, amount, before, after, 100 * dirs.explained[a])
                )
            }
        }
        let edited = derived(from: source, identity: moved(amount), method: method, sourceName: path)
        // The residuals stay with the edit (and in its sheet).
        let field = try LayeredField.with(residuals(of: source, model: model, path: path), on: model.field)
        try AtomicFile.transaction {
            try edited.write(to: out)
            if let sheet {
                try PNG.write(editSheet(codes: amounts.map(moved), field: field, camera: camera), to: sheet)
            }
        }
        // A tuned decoder left beside `out` by an earlier latent of that name is not this code's.
        DecoderDelta.removeStale(besideLatent: out)
        let (fields, summary) = report(edited.identity)
        return EditOutcome(latent: edited, fields: fields, summary: summary + (sheet.map { "; sheet: \($0)" } ?? ""))
    }

    /// `count` objects drawn from the code table's Gaussian (`truncation` scales its spread), as
    /// sample_00.latent ... and sheet.png in `folder` (each from the rig's 35°/20° view), all or none.
    public static func sample(
        model: NeRFModel, count: Int, seed: UInt64, truncation: Float, camera: RenderCamera, to folder: String
    ) throws {
        // Every frame is kept for the sheet, which holds them again.
        try MemoryPlan.checkFrames(
            side: camera.size, kept: 2 * count, what: "\(count) samples at \(camera.size)x\(camera.size)")
        let d = try distribution(of: model)
        var rng = SplitMix64(seed: seed)
        let codes = (0..<count).map { _ in d.sample(rng: &rng, truncation: truncation) }
        let frames = renders(field: model.field, codes: codes, camera: camera, azimuth: 35, elevation: 20)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.transaction {
            for (k, code) in codes.enumerated() {
                try fresh(
                    model: model, identity: code,
                    method: String(format: "sample seed %llu #%d truncation %.2f", seed, k, truncation)
                ).write(to: String(format: "%@/sample_%02d.latent", folder, k))
            }
            try PNG.write(ContactSheet.make(frames, columns: min(count, 8)), to: folder + "/sheet.png")
        }
    }
}
