import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// Where `invert` writes: one latent or a folder of them, and the optional turntables and overview.
struct InvertOutputs: ParsableArguments {
    @Option(help: "Latent file to write (JSON), for a single photo.")
    var out: String?

    @Option(help: "Folder for each photo's <name>.latent, <name>_input.png and <name>_input_reconstruction.png.")
    var outDir: String?

    @Option(
        help:
            "Also write a turntable (frame_000.png ... and contact_sheet.png) into this folder (a subfolder per photo with --out-dir)."
    )
    var turntable: String?

    @Option(
        help:
            "Also write one overview PNG: a row per photo with input, reconstruction and 8 views around the object (led by the photo and its predicted mask when a background was removed)."
    )
    var overview: String?

    @Option(help: "Turntable frames.")
    var frames: Int = 36

    @Flag(
        help:
            "The photos show one object: fit one identity code and a view code per photo, into one latent (--out) that records every view."
    )
    var joint = false

    @Option(
        help:
            "Invert every N-th photo only, starting at the K-th (K/N, 1 ≤ K ≤ N): one task of a Slurm array or of GNU parallel (with --out-dir)."
    )
    var shard: String?

    /// The photos this run inverts: all, or its shard's.
    func selected(_ photos: [String]) throws -> [String] {
        guard let shard else { return photos }
        let s = try Shard.parse(shard).get()
        let mine = s.select(photos)
        guard !mine.isEmpty else {
            throw ValidationError("\(photos.count) photos: shard \(s) gets none")
        }
        return mine
    }

    /// Checks the outputs against the photos: one latent for one photo, distinct names in a folder.
    func validate(photos: [String]) throws {
        guard !photos.isEmpty else { throw ValidationError("name at least one photo") }
        if let shard {
            if case .failure(let e) = Shard.parse(shard) { throw ValidationError(e.reason) }
            guard outDir != nil, !joint else {
                throw ValidationError("--shard takes a share of many photos into --out-dir (not --out or --joint)")
            }
        }
        if joint {
            guard photos.count >= 2 else { throw ValidationError("--joint needs two or more photos of one object") }
            guard photos.count <= 64 else { throw ValidationError("--joint takes at most 64 photos") }
            guard out != nil, outDir == nil else {
                throw ValidationError("--joint writes one latent: name it with --out (not --out-dir)")
            }
            guard overview == nil else { throw ValidationError("--overview is for separate inversions, not --joint") }
            if let clash = Dictionary(grouping: photos.map { OutputPlan.resolve($0) }, by: { $0 }).first(where: {
                $0.value.count > 1
            })?.key {
                throw ValidationError("\(clash) is named twice: each photo of a joint inversion is one view")
            }
            guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
            return
        }
        switch (out, outDir) {
        case (nil, nil): throw ValidationError("--out (one photo) or --out-dir (any number) is required")
        case (.some, .some): throw ValidationError("--out and --out-dir exclude each other")
        case (.some, nil) where photos.count > 1:
            throw ValidationError(
                "\(photos.count) photos need --out-dir, not --out (or --joint, when they show one object)")
        default: break
        }
        if let clash = Dictionary(grouping: photos.map(Self.stem), by: { $0 }).first(where: { $0.value.count > 1 })?.key
        {
            throw ValidationError(
                "two photos are named \(clash): their outputs in --out-dir would overwrite each other")
        }
        if let overview, !overview.lowercased().hasSuffix(".png") {
            throw ValidationError("--overview should name a .png file")
        }
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
    }

    /// The name each photo's outputs take: its file name without the extension.
    static func stem(_ photo: String) -> String {
        URL(fileURLWithPath: photo).deletingPathExtension().lastPathComponent
    }

    func latentPath(for photo: String) -> String { out ?? "\(outDir!)/\(Self.stem(photo)).latent" }

    /// The turntable folder of a photo: the folder itself for one photo, a subfolder per photo with --out-dir.
    func turntableFolder(for photo: String) -> String? {
        turntable.map { outDir == nil ? $0 : "\($0)/\(Self.stem(photo))" }
    }

    /// Checks every output of the inversions before any work: none is an input, all can be written.
    func plan(photos: [String], request: InversionRequest, inputs: [String]) throws {
        var plan = OutputPlan(inputs: inputs)
        var request = request
        if let outDir { try plan.add(folder: outDir) }
        for photo in joint ? [photos[0]] : photos {
            request.turntable = joint ? turntable : turntableFolder(for: photo)
            let planned = LatentWriter(latentPath: latentPath(for: photo), request: request).outputs
            for file in planned.files { try plan.add(file: file) }
            if let folder = planned.folder { try plan.add(folder: folder) }
        }
        if let overview { try plan.add(file: overview) }
    }
}
