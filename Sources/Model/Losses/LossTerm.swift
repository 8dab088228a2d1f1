// R rays, S samples per ray, B objects, D code length.

/// What a loss term reads: the composited colour of each ray and its target, and the codes of the
/// batch's objects.
public struct LossInputs {
    public let rgb: UnsafePointer<Float>  // (R, 3)
    let targets: UnsafePointer<Float>  // (R, 3)
    public let R: Int
    public let codes: UnsafePointer<Float>  // (B, D)
    public let B: Int
    public let D: Int
    /// The compositing weights of every sample and the sample depths along their rays, for terms on
    /// how density is distributed along rays (nil where a caller has no samples).
    public let weights: UnsafePointer<Float>?  // (R, S)
    let t: UnsafePointer<Float>?  // (R, S)
    let delta: UnsafePointer<Float>?  // (R, S)
    public let S: Int

    public init(
        rgb: UnsafePointer<Float>, targets: UnsafePointer<Float>, R: Int, codes: UnsafePointer<Float>, B: Int, D: Int,
        weights: UnsafePointer<Float>? = nil, t: UnsafePointer<Float>? = nil, delta: UnsafePointer<Float>? = nil,
        S: Int = 0
    ) {
        self.weights = weights
        self.t = t
        self.delta = delta
        self.S = S
        self.rgb = rgb
        self.targets = targets
        self.R = R
        self.codes = codes
        self.B = B
        self.D = D
    }
}

/// Where a loss term adds its gradients.
public struct LossGradients {
    public let dRGB: UnsafeMutablePointer<Float>  // (R, 3)
    public let dCodes: UnsafeMutablePointer<Float>  // (B, D)
    /// Gradient w.r.t. the compositing weights (nil where the caller cannot take one).
    let dWeights: UnsafeMutablePointer<Float>?  // (R, S)

    public init(
        dRGB: UnsafeMutablePointer<Float>, dCodes: UnsafeMutablePointer<Float>,
        dWeights: UnsafeMutablePointer<Float>? = nil
    ) {
        self.dWeights = dWeights
        self.dRGB = dRGB
        self.dCodes = dCodes
    }
}

/// One weighted term of a render step's objective. `forward` returns the weighted value;
/// `backward` adds the weighted gradient into `LossGradients` (and into any parameters the term
/// owns, such as a photometric correction).
public protocol LossTerm {
    var name: String { get }
    var weight: Float { get }
    func forward(_ x: LossInputs) -> Float
    func backward(_ x: LossInputs, _ g: LossGradients)
}
