import FileIO
import Foundation
import NeuralCore

/// What a model file says about itself (saved as the file's JSON config).
public struct ModelConfig: Codable, Sendable, NamedFormat {
    public static let formatName = "nerfinv-model"
    var format = "nerfinv-model"
    /// The radiance field: its kind and settings.
    public var decoder: FieldSpec
    /// The scene family and rig the model was trained for (../shared/RIG.md).
    public var scene: String
    public var cameraDistance: Double
    public var fovDegrees: Double
    /// Side of the training views (the size inversion frames a photo to, unless told otherwise).
    public var resolution: Int
    /// Ids of the training objects, in the order of the code table rows.
    public var objects: [String]
    public var training: TrainConfig?
    /// The encoder's shape and how it was trained (absent before `train-encoder`).
    public var encoder: EncoderConfig?
    var encoderTraining: EncoderTrainConfig?
    /// The iterative encoder's shape and how it was trained (absent before `train-encoder --iterative`).
    public var iterativeEncoder: EncoderConfig?
    var iterativeTraining: EncoderTrainConfig?
    /// Free-form provenance: the command, steps, wall time, quality.
    public var notes: [String: String] = [:]
    /// Names of the training objects' generator attributes kept beside the code table (nil: none).
    var attributeNames: [String]?

    public init(
        decoder: FieldSpec, scene: String, cameraDistance: Double, fovDegrees: Double, resolution: Int,
        objects: [String], training: TrainConfig?, notes: [String: String] = [:]
    ) {
        self.decoder = decoder
        self.scene = scene
        self.cameraDistance = cameraDistance
        self.fovDegrees = fovDegrees
        self.resolution = resolution
        self.objects = objects
        self.training = training
        self.notes = notes
    }
}

extension ModelConfig {
    /// Why this config cannot be a usable model (checked before any weights are built), or nil.
    func problem(codeRows: Int?) -> String? {
        if let p = decoder.config.problem { return "decoder: \(p)" }
        guard cameraDistance.isFinite, cameraDistance > 0, cameraDistance <= 1e4 else {
            return "cameraDistance \(cameraDistance) is outside (0, 10000]"
        }
        guard fovDegrees.isFinite, fovDegrees > 0, fovDegrees < 180 else {
            return "fovDegrees \(fovDegrees) is outside (0, 180)"
        }
        guard (1...4096).contains(resolution) else { return "resolution \(resolution) is outside 1...4096" }
        guard let codeRows, codeRows >= 1 else { return "the code table is missing or empty" }
        guard codeRows == objects.count else {
            return "the code table has \(codeRows) rows for \(objects.count) training objects"
        }
        if let ec = encoder, let p = ec.problem(codeDim: decoder.codeDim) { return "encoder: \(p)" }
        if let ic = iterativeEncoder {
            if let p = ic.problem(codeDim: decoder.codeDim) { return "iterative encoder: \(p)" }
            guard ic.inputChannels == 6 else { return "iterative encoder: it sees a photo and a render (6 channels)" }
            guard let ec = encoder, ec.inputSize == ic.inputSize, ec.lightDim == ic.lightDim,
                ic.contextDim == ec.features
            else {
                return
                    "iterative encoder: it needs a one-shot encoder of its input side, light head and features (\(ic.contextDim)) to start from"
            }
        }
        return nil
    }
}
