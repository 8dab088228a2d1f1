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
            Writes step_00.latent ... step_NN.latent, step_00.png ... and strip.png into --out; the \\
            in-between latents keep the first latent's view. Tuned decoders (.delta files) belong to \\
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

/// `nerfinv edit`: a latent moved along a principal direction of the code table.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a latent along a principal direction of the model's code table.",
        discussion: """
            --direction pcN is the N-th principal direction of the training codes (pc1 has the most \\
            variance); --amount is in standard deviations of the codes along it. --sheet also writes \\
            a picture of the latent moved by -A, -A/2, 0, A/2, A (columns) seen from three sides (rows).

            Example:
              nerfinv edit car.latent --direction pc1 --amount 2 --out car_pc1.latent --sheet pc1.png
            """
    )

    @Argument(help: "The latent to edit.")
    var latent: String

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Principal direction: pc1, pc2, ...")
    var direction: String

    @Option(parsing: .unconditional, help: "Standard deviations to move along it.")
    var amount: Float

    @Option(help: "Edited latent to write.")
    var out: String

    @Option(help: "Also write a sheet of the edit at five amounts from three sides.")
    var sheet: String?

    @OptionGroup var output: OutputOptions

    var directionIndex: Int? {
        guard direction.lowercased().hasPrefix("pc"), let n = Int(direction.dropFirst(2)), n >= 1 else { return nil }
        return n - 1
    }

    func validate() throws {
        guard directionIndex != nil else {
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
