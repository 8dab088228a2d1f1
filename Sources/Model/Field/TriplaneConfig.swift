import FileIO
import NeuralCore

/// How a triplane field is built; saved in every model file, so a model says how it was made.
public struct TriplaneConfig: FieldConfig, Settings, Equatable {
    public static let kind = "triplane"
    /// Length of the identity code z.
    public var codeDim: Int = 128
    /// Triplane side and channels: z -> 3 x side x side x channels by one linear layer.
    public var planeResolution: Int = 32
    public var planeChannels: Int = 16
    /// Width of the two hidden layers of the point MLP (channels -> hidden -> hidden -> 4).
    public var hidden: Int = 64
    /// Samples per ray inside the [-box, box]^3 cube.
    public var samplesPerRay: Int = 48
    /// Half side of the cube the field lives in (RIG.md: objects lie inside [-1, 1]^3).
    public var box: Double = 1.0
    /// Added to the density pre-activation: a negative start makes the initial field thin fog.
    public var densityBias: Float = -2
    /// Background colour composited behind every ray (RIG.md: white).
    public var background: [Float] = [1, 1, 1]
    /// Occupancy grid cells per side: at 32 a cell is 1/16 of the box, finer than a wheel, and a
    /// grid costs one 33³ query.
    public var occupancyResolution: Int = 32

    public init() {}

    /// Floats in the generator output: 3 * side * side * channels.
    public var planeCount: Int { 3 * planeResolution * planeResolution * planeChannels }

    public func makeField(rng: inout SplitMix64) -> any RadianceField { TriplaneDecoder(config: self, rng: &rng) }

    public var problem: String? {
        if let p = commonProblem { return p }
        guard (1...512).contains(planeResolution), (1...256).contains(planeChannels), (1...1024).contains(hidden) else {
            return "planeResolution, planeChannels or hidden is outside 1...512, 1...256, 1...1024"
        }
        guard densityBias.isFinite else { return "densityBias is not finite" }
        return parameterCount <= LitTriplaneConfig.maxParameters
            ? nil : "\(parameterCount) weights exceed the limit of \(LitTriplaneConfig.maxParameters)"
    }

    public var stateFloats: Int { planeCount }

    public var parameterCount: Int {
        let G = planeCount, D = codeDim, C = planeChannels, H = hidden
        return G * D + G + H * C + H + H * H + H + 4 * H + 4
    }

    public static let keys: [SettingKey<TriplaneConfig>] = [
        .init("codeDim", \.codeDim),
        .init("planeResolution", \.planeResolution),
        .init("planeChannels", \.planeChannels),
        .init("hidden", \.hidden),
        .init("samplesPerRay", \.samplesPerRay),
        .init("box", \.box),
        .init("densityBias", \.densityBias),
        .init("background", \.background),
        .init("occupancyResolution", \.occupancyResolution),
    ]
}
