import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv generate`: multi-view datasets in the ShapeNet-SRN layout from a scene family file.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a multi-view dataset (ShapeNet-SRN layout) from a procedural scene family.",
        discussion: """
            Examples:
              nerfinv generate --scene scenes/cars.json --out data/cars_train --objects 1000 --views 50 --seed 1
              nerfinv generate --scene scenes/cars.json --out data/cars_test --objects 100 --protocol test --seed 2 --contact-sheet test.png
            Object ids name the seed (cars-s1-00042): use different seeds for training and test sets.
            The same seed always gives byte-identical files.
            """
    )

    @Option(help: "Scene family file (JSON).")
    var scene: String = "scenes/cars.json"

    @Option(
        help:
            "Output folder (created if missing; existing objects with the same ids are overwritten, nothing else is touched)."
    )
    var out: String

    @Option(help: "Number of objects.")
    var objects: Int

    @Option(help: "Views per object for --protocol train (default: the scene file's).")
    var views: Int?

    @Option(help: "Index of the first object (objects start..start+objects-1), to extend a set or split work.")
    var start: Int = 0

    @Option(help: "Random seed: fixes the objects and the views.")
    var seed: UInt64 = 0

    @Option(
        help:
            "train: random views (azimuth 0-360, elevation per the rig); test: the fixed 25-view protocol (view 0 = input)."
    )
    var `protocol`: GenerationSettings.ViewProtocol = .train

    @Option(help: "Also write a contact sheet PNG: view 0 of up to 32 objects (or, with one object, all its views).")
    var contactSheet: String?

    @Option(help: "A style never to draw (repeatable): the training set of a held-out-style split.")
    var excludeStyle: [String] = []

    @Option(help: "The only style to draw (repeatable): the test set of a held-out-style split.")
    var onlyStyle: [String] = []

    @OptionGroup var image: GenerateImageOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard objects >= 1, objects <= 1_000_000 else { throw ValidationError("--objects must be in 1...1000000") }
        guard start >= 0, start <= 10_000_000 else { throw ValidationError("--start must be in 0...10000000") }
        if let views, views < 1 || views > 10000 { throw ValidationError("--views must be in 1...10000") }
        if `protocol` == .test, views != nil {
            throw ValidationError("--views applies to --protocol train; the test protocol has 25 views")
        }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [scene] + [image.lightingRanges].compactMap { $0 })
        try plan.add(folder: out)
        if let contactSheet { try plan.add(file: contactSheet) }
        var settings = GenerationSettings(out: out, objects: objects)
        settings.scene = scene
        settings.views = views
        settings.start = start
        settings.seed = seed
        settings.viewProtocol = `protocol`
        settings.contactSheet = contactSheet
        settings.excludeStyles = excludeStyle
        image.apply(to: &settings)
        settings.onlyStyles = onlyStyle
        let bar = ProgressBar(
            total: objects, label: "generate", unit: "objects", quiet: output.silent, logOffTerminal: true)
        let s = try DatasetGeneration.run(settings) { done, _ in bar.update(done) }
        output.report(s.fields, s.summary)
    }
}
