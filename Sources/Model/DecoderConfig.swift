/// How a decoder is built; saved in every model file, so a model says how it was made.
public struct DecoderConfig: Codable, Sendable, Equatable {
    /// Length of the identity code z.
    public var codeDim: Int = 128
    /// Triplane side (R) and channels (C): z -> 3 x R x R x C by one linear layer.
    public var planeResolution: Int = 32
    public var planeChannels: Int = 16
    /// Width of the two hidden layers of the point MLP (C -> H -> H -> 4).
    public var hidden: Int = 64
    /// Samples per ray inside the [-box, box]^3 cube.
    public var samplesPerRay: Int = 48
    /// Half side of the cube the field lives in (RIG.md: objects lie inside [-1, 1]^3).
    public var box: Double = 1.0
    /// Added to the density pre-activation: a negative start makes the initial field thin fog.
    public var densityBias: Float = -2
    /// Background colour composited behind every ray (RIG.md: white).
    public var background: [Float] = [1, 1, 1]
    /// `background` as a colour.
    public var backgroundColour: SIMD3<Float> { SIMD3(background[0], background[1], background[2]) }

    public init() {}

    /// Floats in the generator output: 3 * R * R * C.
    public var planeCount: Int { 3 * planeResolution * planeResolution * planeChannels }
}
