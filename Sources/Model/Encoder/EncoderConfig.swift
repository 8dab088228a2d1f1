import Datasets
import FileIO
import Foundation
import NeuralCore

/// Encoder shape; saved with the model.
public struct EncoderConfig: Settings, Sendable, Equatable {
    public var inputSize = 64
    /// Channels of the stride-2, 4x4 convolutions (each halves the image).
    public var channels = [32, 64, 128, 256]
    public var features = 256
    public var codeDim = 128
    public var leak: Float = 0.2
    /// Outputs of the photo's light after the view code (`ViewLight.encodedSize` for a lit field's
    /// encoder, 0 for a field whose colour ignores light).
    public var lightDim = 0
    /// Channels of the input image: 3 for a photo; 6 for the iterative encoder, which sees the photo
    /// and the current render side by side.
    public var inputChannels = 3
    /// Floats of context the heads read beside the trunk's features (the iterative encoder: the
    /// one-shot encoder's features of the photo); 0 for none.
    public var contextDim = 0
    /// The layered-residual head (the iterative encoder's, 0: none): a hidden layer of
    /// `residualHidden` units, then a left-right symmetric residual of the planes at
    /// `residualSide`² texels a plane and `residualChannels` channels, upsampled bilinearly to the
    /// planes' side and measured in units of `residualScale` (the planes' RMS at the mean code).
    public var residualSide = 0
    public var residualChannels = 0
    public var residualHidden = 0
    public var residualScale: Float = 0
    public init() {}

    /// Architecture: the ranges are checked against the decoder by `problem(codeDim:)`.
    public static let keys: [SettingKey<EncoderConfig>] = [
        .init("inputSize", \.inputSize),
        .init("channels", \.channels),
        .init("features", \.features),
        .init("codeDim", \.codeDim),
        .init("leak", \.leak),
        // Written only when there is a head, so first-generation files keep their exact config text.
        .init("lightDim", \.lightDim, omitWhen: 0),
        // Written only for the iterative encoder, so one-shot encoders keep their exact config text.
        .init("inputChannels", \.inputChannels, omitWhen: 3),
        .init("contextDim", \.contextDim, omitWhen: 0),
        // Written only with a layered-residual head, so earlier iterative encoders keep their text.
        .init("residualSide", \.residualSide, omitWhen: 0),
        .init("residualChannels", \.residualChannels, omitWhen: 0),
        .init("residualHidden", \.residualHidden, omitWhen: 0),
        .init("residualScale", \.residualScale, omitWhen: 0),
    ]
    /// The encoder for views of side `resolution`: stride-2 stages down to 4x4, channels doubling
    /// from 32 and capped at 256 (at 64 the first generation's [32, 64, 128, 256]; at 128 one stage more).
    /// `lit`: with a light head (for a field whose colour takes the light).
    public static func forResolution(_ resolution: Int, lit: Bool = false) -> EncoderConfig {
        var c = EncoderConfig()
        c.inputSize = resolution
        c.lightDim = lit ? ViewLight.encodedSize : 0
        var channels: [Int] = [], side = resolution, width = 32
        while side > 4 {
            channels.append(min(width, 256))
            width *= 2
            side /= 2
        }
        c.channels = channels.isEmpty ? [32] : channels
        return c
    }

    /// Why this encoder cannot be built for codes of `codeDim`, or nil.
    func problem(codeDim decoderCodeDim: Int) -> String? {
        guard (8...1024).contains(inputSize), (1...8).contains(channels.count),
            channels.allSatisfy({ (1...1024).contains($0) }), (1...4096).contains(features)
        else { return "inputSize, channels or features outside 8...1024, 1-8 stages of 1...1024, 1...4096" }
        guard inputChannels == 3 || inputChannels == 6 else {
            return "inputChannels must be 3 (a photo) or 6 (a photo and a render)"
        }
        guard (0...4096).contains(contextDim) else { return "contextDim outside 0...4096" }
        if residualSide != 0 {
            guard inputChannels == 6, (1...32).contains(residualSide), (1...64).contains(residualChannels),
                (1...256).contains(residualHidden), residualScale.isFinite, residualScale > 0
            else {
                return
                    "a residual head belongs to an iterative encoder, with residualSide 1...32, residualChannels 1...64, residualHidden 1...256 and a positive residualScale"
            }
        }
        guard finalSize >= 1 else { return "input \(inputSize) is too small for \(channels.count) stride-2 stages" }
        guard codeDim == decoderCodeDim else {
            return "makes \(codeDim)-float codes, the decoder takes \(decoderCodeDim)"
        }
        guard lightDim == 0 || lightDim == ViewLight.encodedSize else {
            return "lightDim must be 0 or \(ViewLight.encodedSize)"
        }
        guard leak.isFinite else { return "leak is not finite" }
        return nil
    }

    /// Floats of all the encoder's weights.
    public var parameterCount: Int {
        var n = 0, cin = inputChannels
        for cout in channels {
            n += cout * cin * 16 + cout
            cin = cout
        }
        let flat = cin * finalSize * finalSize
        let heads = features + contextDim
        return n + features * flat + features + codeDim * heads + codeDim + viewDim * heads + viewDim
            + (residualSide == 0 ? 0 : residualHidden * (heads + 1) + residualCount * (residualHidden + 1))
    }

    /// Floats of the residual head's output: the coarse planes (3, r, r, C).
    public var residualCount: Int { 3 * residualSide * residualSide * residualChannels }

    /// Pose (4) plus photometric gain and bias (6).
    public var viewDim: Int { ViewCode.size + lightDim }
    var finalSize: Int { inputSize >> channels.count }
}
