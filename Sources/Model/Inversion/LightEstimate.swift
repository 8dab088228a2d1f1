import Datasets

// The encoder's layout of a photo's light: L = 5 numbers after the view code.

extension ViewLight {
    /// Direction towards the key light (3), then the key and sky intensities (the means of their
    /// colours): what inversion estimates of a photo's light (colour casts belong to the
    /// photometric gain).
    static let encodedSize = 5

    /// Decodes an encoder output (L); the direction need not be normalised, intensities are kept ≥ 0.
    public init(encoded v: UnsafePointer<Float>) {
        let d = SIMD3(v[0], v[1], v[2])
        let norm = (d * d).sum().squareRoot()
        self.init(
            direction: norm > 1e-6 ? d / norm : ViewLight.canonical.direction, key: SIMD3(repeating: max(0, v[3])),
            sky: SIMD3(repeating: max(0, v[4])))
    }

    /// Writes the encoder layout (L).
    public func encode(into v: UnsafeMutablePointer<Float>) {
        v[0] = direction.x
        v[1] = direction.y
        v[2] = direction.z
        v[3] = keyIntensity
        v[4] = skyIntensity
    }

    /// The light of the mirror image: the rig's mirror (azimuth a -> -a) reflects y.
    var mirrored: ViewLight {
        ViewLight(direction: SIMD3(direction.x, -direction.y, direction.z), key: key, sky: sky)
    }
}
