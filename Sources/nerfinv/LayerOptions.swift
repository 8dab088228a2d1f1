import ArgumentParser
import Foundation
import Pipeline

/// The layered latent's flags (`invert` and `eval`): after the code, residuals in the generator's
/// own layers, with the mirror prior.
struct LayerOptions: ParsableArguments {
    @Option(
        help:
            "Steps of the layered phase after the code's: residuals on the generator's layers, with an early stop on held-out pixels (lit-triplane default 100; triplane 0: the code only)."
    )
    var layerSteps: Int?

    @Option(
        help: ArgumentHelp(
            "The layers to add residuals to, comma-separated (lit-triplane: features8, features16, features32, planes; triplane: planes); default: the field's choice.",
            valueName: "names"))
    var layers: String?

    @Flag(help: "Code only: no layered phase, whatever a preset says.")
    var codeOnly = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "The mirror prior of the layered phase: plane residuals left-right symmetric, feature-map residuals kept so by a loss (--no-mirror for an asymmetric object)."
    )
    var mirror: Bool?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Let the code keep moving during the layered phase (default: held, which makes a step about twice as fast)."
    )
    var layerCode: Bool?

    @Option(
        help:
            "Least gain (dB) on the held-out photo pixels for the residuals to be kept; under it the code-only result stands (lit-triplane default 2, 0: any gain)."
    )
    var layerMinGain: Float?

    @Option(help: "Adam rate of the layer residuals, in units of each layer's activation RMS (default 1e-2).")
    var layerLR: Float?

    @Option(help: "Weight of the residuals' size against their layer's activations (default 0.1).")
    var layerMagnitude: Float?

    @Option(help: "Weight of the residuals' roughness between neighbouring texels (default 1).")
    var layerSmoothness: Float?

    @Option(help: "Weight of the mirror loss on the planes' asymmetry (default 1).")
    var mirrorWeight: Float?

    @Option(
        help:
            "Weight of the view prior: the code-only result's renders from views away from the photo and its mirror hold the layered result there (default 0: off)."
    )
    var viewPrior: Float?

    func apply(to s: inout LayerSettings) {
        if let layerSteps { s.steps = layerSteps }
        if let layers {
            s.names = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let mirror { s.mirror = mirror }
        if let layerCode { s.refineCode = layerCode }
        if let layerMinGain { s.minimumGain = layerMinGain }
        if let layerLR { s.lr = layerLR }
        if let layerMagnitude { s.magnitudeWeight = layerMagnitude }
        if let layerSmoothness { s.smoothWeight = layerSmoothness }
        if let mirrorWeight { s.mirrorWeight = mirrorWeight }
        if let viewPrior { s.viewPriorWeight = viewPrior }
        if codeOnly { s.steps = 0 }
    }
}
