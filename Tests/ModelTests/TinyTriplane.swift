import Model

/// A small triplane for tests: 8-float codes, 8 plane channels, and the given side, hidden width,
/// samples per ray and density bias (the defaults' other settings).
func tinyTriplane(side: Int = 8, hidden: Int = 16, samples: Int = 48, densityBias: Float = -2) -> TriplaneConfig {
    var c = TriplaneConfig()
    c.codeDim = 8
    c.planeChannels = 8
    c.planeResolution = side
    c.hidden = hidden
    c.samplesPerRay = samples
    c.densityBias = densityBias
    return c
}
