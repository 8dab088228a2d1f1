import Imaging
import Model

/// Where an inversion starts: the encoder, or the mean code with a coarse pose search.
public enum InversionStart: String, CaseIterable, Codable, Sendable { case encoder, mean }

/// What `invert` does about a photo's background.
public enum BackgroundMode: String, CaseIterable, Codable, Sendable {
    /// Remove it when the photo's border says there is one (and a matting network is at hand).
    case auto
    /// Invert the photo as it is (a plain backdrop).
    case keep
    /// Always predict the object's mask and make the rest white.
    case remove
}

/// What one `invert` asks for.
public struct InversionRequest: Sendable {
    public var start = InversionStart.encoder
    /// Stop after the encoder (no refinement).
    public var refine = true
    /// The one-shot encoder and the iterative encoder's updates, no optimisation (`invert --fast`).
    public var fast = false
    /// Refinement settings (nil: the model's field kind's defaults).
    public var settings: RefineSettings?
    public var crop = CropMode.auto
    /// Side the photo is framed to and refined at (nil: the framed square's own side, up to the model's training views' side).
    public var photoSize: Int?
    /// A mask PNG of the photo's size: white (above half) marks pixels to ignore (occluders,
    /// scratches, text); the prior fills in what they hide.
    public var mask: String?
    /// Compare luminance only (nil: when the PNG is grayscale).
    public var grayscale: Bool?
    /// What to do about a background (a given `mask` replaces the prediction).
    public var background = BackgroundMode.auto
    /// After the code inversion, tune the decoder on the photo (pivotal tuning); the tuned weights
    /// are written beside the latent as a delta file.
    public var tune: TuneSettings?
    /// Also write a turntable into this folder.
    public var turntable: String?
    public var turntableFrames = 36
    var turntableElevation = 20.0
    public var turntableCamera = RenderCamera()
    public init() {}

    var mode: InversionMode { start == .mean ? .meanRefine : fast ? .fast : (refine ? .refine : .encoder) }
    /// How the latent says it was obtained, given the iterations the inversion ran.
    func method(iterations: Int) -> String {
        switch mode {
        case .encoder: "encoder"
        case .refine: iterations > 0 ? "encoder+iterations+refine" : "encoder+refine"
        case .meanRefine: "mean+pose-search+refine"
        case .fast: "encoder+iterations"
        }
    }
}
