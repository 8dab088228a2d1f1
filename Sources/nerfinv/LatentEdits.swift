import ArgumentParser
import FileIO
import Foundation
import ImageIO
import Model
import NeuralCore
import Pipeline

/// The model's code table as a distribution, or a clear error.
private func distribution(_ model: NeRFModel, path: String) throws -> CodeDistribution {
    guard let d = CodeDistribution(codes: model.codes) else {
        throw ValidationError("\(path): its code table cannot be decomposed (fewer than two codes, or NaN)")
    }
    return d
}

/// `nerfinv interpolate`: in-between latents of two latents, a frame each, and a strip.
struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Latents between two latents (linear in the identity code), a frame of each and a strip.",
        discussion: """
            Writes step_00.latent ... step_NN.latent, step_00.png ... and strip.png into --out; the \
            in-between latents keep the first latent's view. Tuned decoders (.delta files) belong to \
            one code each, so the frames use the model's own decoder.

            Example:
              nerfinv interpolate a.latent b.latent --steps 8 --out a_to_b/ --azimuth 35 --elevation 20
            """
    )

    @Argument(help: "The two latents.")
    var latents: [String]

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Steps from the first latent to the second (steps + 1 latents).")
    var steps: Int = 8

    @Option(parsing: .unconditional, help: "Camera azimuth of the frames in degrees.")
    var azimuth: Double = 35

    @Option(parsing: .unconditional, help: "Camera elevation of the frames in degrees.")
    var elevation: Double = 20

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard latents.count == 2 else { throw ValidationError("name exactly two latents") }
        guard (1...256).contains(steps) else { throw ValidationError("--steps must be in 1...256") }
        try requireFinite([azimuth, elevation], "--azimuth and --elevation")
    }

    func run() throws {
        var plan = OutputPlan(inputs: latents + [modelOptions.model])
        try plan.add(folder: out)
        let (model, sha) = try modelOptions.load()
        let a = try LatentFile.read(latents[0], for: model, modelSHA256: sha)
        let b = try LatentFile.read(latents[1], for: model, modelSHA256: sha)
        let written = try LatentEditing.interpolate(
            a, b, names: (latents[0], latents[1]), steps: steps, model: model, camera: camera.renderCamera,
            azimuth: azimuth, elevation: elevation, to: out)
        output.report(
            ["out": out, "latents": written, "strip": out + "/strip.png"],
            "wrote \(written.count) latents and frames, and strip.png, to \(out)")
    }
}

/// The attribute table of a model, or of the dataset it was trained on (`--data`).
func attributeTable(_ model: NeRFModel, modelPath: String, data: String?) throws -> ObjectAttributeTable {
    if let t = model.attributes { return t }
    guard let data else {
        throw ValidationError(
            "\(modelPath) keeps no object attributes (trained before they were recorded): name its training data with --data"
        )
    }
    guard let t = try ObjectAttributeTable.load(dataRoot: data, ids: model.config.objects) else {
        throw ValidationError(
            "\(data) has no attributes.json beside its objects: rerun its `nerfinv generate` command (it adds them without rendering)"
        )
    }
    return t
}

/// The semantic directions of a model's attributes, or a clear error.
func attributeDirections(_ model: NeRFModel, modelPath: String, data: String?) throws -> AttributeDirections {
    let table = try attributeTable(model, modelPath: modelPath, data: data)
    guard let d = AttributeDirections(codes: model.codes, table: table) else {
        throw ValidationError(
            "\(modelPath): the attributes cannot be regressed on its codes (too few objects have them)")
    }
    return d
}

/// `nerfinv edit`: a latent moved along a principal or a semantic direction of the code table.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a latent along a principal direction of the code table, or a semantic attribute.",
        discussion: """
            --direction pcN is the N-th principal direction of the training codes (pc1 has the most \
            variance); --amount is in standard deviations of the codes along it.

            --attribute length|height|wheel-size|brightness|hue moves along a linear direction fitted \
            to the codes (ridge regression of the training objects' generator attributes on their codes, \
            as InterFaceGAN fits a boundary); --amount is in standard deviations of the attribute over \
            the training cars. --independent removes the other attributes' directions from it, so their \
            predicted values stay put. The attributes come with the model (or --data, its training set).

            --sheet also writes the latent moved by -A, -A/2, 0, A/2, A (columns) from three sides (rows).

            Examples:
              nerfinv edit car.latent --direction pc1 --amount 2 --out car_pc1.latent --sheet pc1.png
              nerfinv edit car.latent --attribute length --amount 1.5 --independent --out longer.latent
            """
    )

    @Argument(help: "The latent to edit.")
    var latent: String

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Principal direction: pc1, pc2, ...")
    var direction: String?

    @Option(help: "Semantic attribute: length, height, wheel-size, brightness, hue.")
    var attribute: String?

    @Flag(help: "Keep the other attributes' predicted values unchanged (project their directions out).")
    var independent = false

    @Option(help: "The model's training data, for models that keep no attributes.")
    var data: String?

    @Option(parsing: .unconditional, help: "Standard deviations to move along it.")
    var amount: Float

    @Option(help: "Edited latent to write.")
    var out: String

    @Option(help: "Also write a sheet of the edit at five amounts from three sides.")
    var sheet: String?

    @OptionGroup var output: OutputOptions

    var directionIndex: Int? {
        guard let direction, direction.lowercased().hasPrefix("pc"), let n = Int(direction.dropFirst(2)), n >= 1 else {
            return nil
        }
        return n - 1
    }

    func validate() throws {
        guard (direction == nil) != (attribute == nil) else {
            throw ValidationError("name one of --direction pcN or --attribute NAME")
        }
        if let direction, directionIndex == nil {
            throw ValidationError("--direction takes pc1, pc2, ... (got '\(direction)')")
        }
        guard amount.isFinite, abs(amount) <= 10 else {
            throw ValidationError("--amount must be within ±10 deviations")
        }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [latent, modelOptions.model])
        try plan.add(file: out)
        if let sheet { try plan.add(file: sheet) }
        let (model, sha) = try modelOptions.load()
        let source = try LatentFile.read(latent, for: model, modelSHA256: sha)
        if let attribute { return try runAttribute(attribute, model: model, source: source) }
        let d = try distribution(model, path: modelOptions.model)
        let k = directionIndex!
        guard k < d.directions.count else {
            throw ValidationError("the model's codes have \(d.directions.count) principal directions, not \(k + 1)")
        }
        let edited = LatentEditing.derived(
            from: source, identity: d.moved(source.identity, direction: k, amount: amount),
            method: String(format: "edit pc%d %+.2f", k + 1, amount), sourceName: latent)
        try AtomicFile.transaction {
            try edited.write(to: out)
            if let sheet {
                try PNG.write(
                    LatentEditing.editSheet(
                        code: source.identity, distribution: d, direction: k,
                        amounts: [-1, -0.5, 0, 0.5, 1].map { $0 * abs(amount) }, field: model.field,
                        camera: camera.renderCamera), to: sheet)
            }
        }
        output.report(
            ["out": out, "direction": k + 1, "amount": Double(amount), "deviation": Double(d.deviations[k])],
            String(
                format: "wrote %@ (pc%d, %+.2f deviations of %.3f)", out, k + 1, amount, d.deviations[k])
                + (sheet.map { "; sheet: \($0)" } ?? ""))
    }
}

extension Edit {
    func runAttribute(_ name: String, model: NeRFModel, source: LatentFile) throws {
        let dirs = try attributeDirections(model, modelPath: modelOptions.model, data: data)
        guard let a = dirs.names.firstIndex(of: name) else {
            throw ValidationError("no attribute '\(name)'; the model has \(dirs.names.joined(separator: ", "))")
        }
        let moved = { (amount: Float) in
            dirs.moved(source.identity, attribute: a, amount: amount, independent: self.independent)
        }
        let edited = LatentEditing.derived(
            from: source, identity: moved(amount),
            method: String(format: "edit %@ %+.2f σ%@", name, amount, independent ? " (independent)" : ""),
            sourceName: latent)
        try AtomicFile.transaction {
            try edited.write(to: out)
            if let sheet {
                var cells: [RGBAImage] = []
                let amounts: [Float] = [-1, -0.5, 0, 0.5, 1].map { $0 * abs(amount) }
                for az in [35.0, 90, 215] {
                    cells += LatentEditing.renders(
                        field: model.field, codes: amounts.map(moved), camera: camera.renderCamera, azimuth: az,
                        elevation: 20)
                }
                try PNG.write(ContactSheet.make(cells, columns: amounts.count), to: sheet)
            }
        }
        let before = dirs.predict(source.identity, attribute: a), after = dirs.predict(edited.identity, attribute: a)
        output.report(
            [
                "out": out, "attribute": name, "amount": Double(amount), "predicted_before": before,
                "predicted_after": after,
            ],
            String(
                format: "wrote %@ (%@ %+.2f σ: predicted %.3f -> %.3f; the direction explains %.0f%% of its variance)",
                out, name, amount, before, after, 100 * dirs.explained[a]) + (sheet.map { "; sheet: \($0)" } ?? ""))
    }
}

/// `nerfinv edit-check`: the semantic directions measured in renders.
struct EditCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit-check",
        abstract: "Measure every attribute direction: edit training codes, render, read length, height and colour.",
        discussion: """
            Each attribute's direction moves the first --objects training codes by each --amounts \
            (standard deviations); a side view of every edit is rendered and the car's length and \
            height (silhouette extents, box units), brightness and hue (mean over its pixels) read \
            off it. The table gives the mean change of each measure, and a verdict per attribute: \
            its own measure monotonic in the amount, the others within tolerance.

            Example:
              nerfinv edit-check --objects 16 --independent --report edits.md
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Training codes to edit.")
    var objects: Int = 16

    @Option(parsing: .unconditional, help: "Amounts in standard deviations, comma separated.")
    var amountList: String = "-2,-1,1,2"

    var amounts: [Float] {
        amountList.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    }

    @Flag(help: "Project the other attributes' directions out of each.")
    var independent = false

    @Option(help: "The model's training data, for models that keep no attributes.")
    var data: String?

    @Option(help: "Write the table (Markdown) here too.")
    var report: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1000).contains(objects) else { throw ValidationError("--objects must be in 1...1000") }
        guard !amounts.isEmpty, amounts.count == amountList.split(separator: ",").count,
            amounts.allSatisfy({ $0.isFinite && abs($0) <= 10 })
        else { throw ValidationError("--amount-list takes numbers within ±10, comma separated (e.g. -2,-1,1,2)") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [modelOptions.model] + [data].compactMap { $0 })
        if let report { try plan.add(file: report) }
        let (model, _) = try modelOptions.load()
        let dirs = try attributeDirections(model, modelPath: modelOptions.model, data: data)
        let bar = ProgressBar(
            total: dirs.names.count * amounts.count, label: "edit-check", unit: "edits", quiet: output.silent)
        let rows = AttributeEditCheck.run(
            model: model, directions: dirs, objects: objects, amounts: amounts.sorted(), independent: independent
        ) { done, _ in bar.update(done) }
        let table = AttributeEditCheck.table(rows, directions: dirs)
        if let report { try AtomicFile.write(Data((table + "\n").utf8), to: report) }
        if output.json {
            let json: [[String: Any]] = rows.map {
                [
                    "attribute": $0.attribute, "amount": Double($0.amount), "d_length": $0.dLength,
                    "d_height": $0.dHeight, "d_brightness": $0.dBrightness, "d_hue": $0.dHue,
                ]
            }
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        } else if !output.silent {
            print(table)
        }
    }
}

/// `nerfinv sample`: new objects from the Gaussian of the code table.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw new objects from a Gaussian fitted to the model's code table: latents and a sheet.",
        discussion: """
            Example:
              nerfinv sample --count 16 --out samples/ --seed 3 --truncation 0.8
            Writes sample_00.latent ... and sheet.png (each sample from the rig's 35°/20° view).
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Number of objects.")
    var count: Int = 16

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Spread relative to the codes' (below 1: more typical objects).")
    var truncation: Float = 1

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1024).contains(count) else { throw ValidationError("--count must be in 1...1024") }
        guard truncation.isFinite, truncation >= 0, truncation <= 3 else {
            throw ValidationError("--truncation must be in 0...3")
        }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [modelOptions.model])
        try plan.add(folder: out)
        let (model, sha) = try modelOptions.load()
        let d = try distribution(model, path: modelOptions.model)
        var rng = SplitMix64(seed: seed)
        let codes = (0..<count).map { _ in d.sample(rng: &rng, truncation: truncation) }
        let frames = LatentEditing.renders(
            field: model.field, codes: codes, camera: camera.renderCamera, azimuth: 35, elevation: 20)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: modelOptions.model).lastPathComponent
        try AtomicFile.transaction {
            for (k, code) in codes.enumerated() {
                try LatentEditing.fresh(
                    model: model, modelName: name, sha256: sha, identity: code,
                    method: String(format: "sample seed %llu #%d truncation %.2f", seed, k, truncation)
                ).write(to: String(format: "%@/sample_%02d.latent", out, k))
            }
            try PNG.write(ContactSheet.make(frames, columns: min(count, 8)), to: out + "/sheet.png")
        }
        output.report(
            ["out": out, "count": count, "sheet": out + "/sheet.png"], "wrote \(count) latents and sheet.png to \(out)")
    }
}
