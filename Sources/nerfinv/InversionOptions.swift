import ArgumentParser
import Foundation
import Pipeline

/// How `invert` inverts: the start, refinement or not, the pose, the framing, steps and seed.
struct InversionOptions: ParsableArguments {
    @Option(help: "Refinement steps (default: the model's; 300, or 150 for lit-triplane models).")
    var steps: Int?

    @Flag(help: "Stop after the encoder (no refinement).")
    var noRefine = false

    @Flag(help: "The encoder and the iterative encoder's updates only (no optimisation; about 0.3 s a photo).")
    var fast = false

    enum PoseHandling: String, EnumerableFlag {
        case refinePose, fixedPose
        static func help(for value: PoseHandling) -> ArgumentHelp? {
            value == .refinePose
                ? "Refine the camera pose with the codes (default)." : "Keep the encoder's (or searched) pose fixed."
        }
    }

    @Flag var pose: PoseHandling = .refinePose

    @Option(
        help: "Starting point: encoder, or mean (the mean training code with a coarse pose search; no encoder needed).")
    var `init`: InversionStart = .encoder

    @Option(
        help:
            "Framing: auto (keep the rig's framing when the photo has it), none (pad and resize), tight (crop around the object)."
    )
    var crop: CropMode = .auto

    @Option(
        help:
            "Side the photo is framed to and refined at (default: the photo's own, up to the model's training views' side; the encoder resamples to its own)."
    )
    var photoSize: Int?

    @Option(
        help:
            "A mask PNG of the photo's size: white marks pixels to ignore (an occluder, scratches, text); the prior fills them in. One photo only."
    )
    var mask: String?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Compare luminance only, colour coming from the prior (default: on for grayscale PNGs, off otherwise).")
    var grayscale: Bool?

    @OptionGroup var backgroundOptions: BackgroundOptions

    @Option(help: "Random seed for the ray batches (default 11).")
    var seed: UInt64?

    func validate() throws {
        if let photoSize, !(16...1024).contains(photoSize) {
            throw ValidationError("--photo-size must be in 16...1024")
        }
        guard !(noRefine && `init` == .mean) else {
            throw ValidationError("--no-refine needs the encoder start (--init encoder)")
        }
        guard !(fast && (noRefine || `init` == .mean)) else {
            throw ValidationError("--fast is the encoders alone: drop --no-refine and --init mean")
        }
    }

    /// The files these options read besides the photos and the model.
    func inputs(model: String) -> [String] { [model, backgroundOptions.matting] + [mask].compactMap { $0 } }

    /// A mask belongs to one photo.
    func validate(photos: [String]) throws {
        if mask != nil && photos.count != 1 {
            throw ValidationError("--mask belongs to one photo; invert the others without it")
        }
    }

    /// The request these options and the refinement settings describe.
    func request(refine: RefineOptions, defaults: RefineSettings) throws -> InversionRequest {
        var request = InversionRequest()
        request.start = `init`
        request.refine = !noRefine && !fast
        request.fast = fast
        var settings = try refine.settings(base: defaults)
        if let steps { settings.steps = steps }
        if let seed { settings.seed = seed }
        settings.refinePose = pose == .refinePose
        request.settings = try checked(settings)
        request.crop = crop
        request.photoSize = photoSize
        request.mask = mask
        request.grayscale = grayscale
        request.background = backgroundOptions.background
        request.tune = try refine.tuneSettings()
        if request.tune != nil && (noRefine || fast) {
            throw ValidationError("--tune-decoder tunes after refinement: drop --no-refine and --fast")
        }
        return request
    }
}
