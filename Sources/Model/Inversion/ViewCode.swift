import Foundation
import Geometry

// What belongs to one photo and not to the object: the camera pose on the rig and the photo's
// exposure / white balance. V = 10 numbers in the encoder's output layout.

/// A photo's view code: rig azimuth and elevation (degrees; distance and fov stay at the rig's)
/// and a per-channel photometric gain and bias, photo ≈ gain ⊙ render + bias.
public struct ViewCode: Sendable, Equatable {
    public var azimuth: Double
    public var elevation: Double
    public var gain: SIMD3<Float> = .one
    public var bias: SIMD3<Float> = .zero

    public init(azimuth: Double, elevation: Double, gain: SIMD3<Float> = .one, bias: SIMD3<Float> = .zero) {
        self.azimuth = azimuth
        self.elevation = elevation
        self.gain = gain
        self.bias = bias
    }

    /// Encoder layout: sin az, cos az, sin el, cos el, gain - 1 (3), bias (3). Angles are continuous
    /// as sin/cos pairs (azimuth wraps at 360°).
    public static let size = 10

    /// Decodes an encoder output (V); the sin/cos pairs need not be normalised.
    public init(encoded v: UnsafePointer<Float>) {
        var az = atan2(Double(v[0]), Double(v[1])) * 180 / .pi
        if az < 0 { az += 360 }
        azimuth = az
        elevation = atan2(Double(v[2]), Double(v[3])) * 180 / .pi
        gain = SIMD3(1 + v[4], 1 + v[5], 1 + v[6])
        bias = SIMD3(v[7], v[8], v[9])
    }

    /// Writes the encoder layout (V).
    public func encode(into v: UnsafeMutablePointer<Float>) {
        let a = azimuth * .pi / 180, e = elevation * .pi / 180
        v[0] = Float(sin(a))
        v[1] = Float(cos(a))
        v[2] = Float(sin(e))
        v[3] = Float(cos(e))
        for c in 0..<3 {
            v[4 + c] = gain[c] - 1
            v[7 + c] = bias[c]
        }
    }

    /// The rig camera of this view.
    public func camera(width: Int, height: Int, distance: Double = Rig.distance, fovDegrees: Double = Rig.fovDegrees)
        -> Camera
    {
        Rig.camera(
            azimuth: azimuth, elevation: elevation, distance: distance, fovDegrees: fovDegrees, width: width,
            height: height)
    }

    /// Smallest angle between two azimuths, degrees.
    public static func azimuthError(_ a: Double, _ b: Double) -> Double {
        let d = abs(a - b).truncatingRemainder(dividingBy: 360)
        return min(d, 360 - d)
    }
}
