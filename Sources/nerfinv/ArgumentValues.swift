import ArgumentParser
import Pipeline

// Pipeline's choices as command-line values: each parses from its raw value and lists its cases in --help.

extension InversionStart: ExpressibleByArgument {}
extension BackgroundMode: ExpressibleByArgument {}
extension CropMode: ExpressibleByArgument {}
extension EvaluationSettings.TruePose: ExpressibleByArgument {}
extension GenerationSettings.ViewProtocol: ExpressibleByArgument {}
extension GenerationSettings.LightingMode: ExpressibleByArgument {}
