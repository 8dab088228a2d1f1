import Datasets

// H W photo size.

/// One photo an inversion fits: its pixels on the rig's framing, where its view starts, and the
/// pixels to ignore. Several photos of one object share the identity code; each keeps its own
/// view code (pose, photometric gain and bias) and light.
public struct InversionPhoto: Sendable {
    public var pixels: [Float]  // (H, W, 3) in [0, 1]
    public var width: Int
    public var height: Int
    public var startView: ViewCode
    public var startLight: ViewLight
    /// Pixels to leave out of the loss (true = hidden by a mask), or nil.
    public var ignore: [Bool]?  // (H, W)

    public init(
        pixels: [Float], width: Int, height: Int, startView: ViewCode, startLight: ViewLight = .canonical,
        ignore: [Bool]? = nil
    ) {
        precondition(pixels.count == width * height * 3, "photo must be (H, W, 3)")
        precondition(ignore == nil || ignore!.count == width * height, "one mask value per pixel")
        self.pixels = pixels
        self.width = width
        self.height = height
        self.startView = startView
        self.startLight = startLight
        self.ignore = ignore
    }
}
