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

/// A small lit triplane for tests: 2x2 base image, 8 plane channels, hidden width 16, and the
/// given code length, upsampling stages before the last, samples per ray and density bias.
func tinyLitTriplane(codeDim: Int = 6, stages: [Int] = [5], samples: Int = 64, densityBias: Float = -2)
    -> LitTriplaneConfig
{
    var c = LitTriplaneConfig()
    c.codeDim = codeDim
    c.mappingWidth = 8
    c.baseResolution = 2
    c.baseChannels = 4
    c.stageChannels = stages
    c.planeChannels = 8
    c.hidden = 16
    c.samplesPerRay = samples
    c.densityBias = densityBias
    return c
}
