import FileIO
import Foundation

/// The light of one view as a lit field reads it: the unit direction towards the key light, and
/// the key and sky (ambient) light in linear RGB with the camera's exposure folded in. RIG.md's
/// canonical light is the default; `lighting.json` beside an object's views gives each view's own.
public struct ViewLight: Codable, Sendable, Equatable {
    public var direction: SIMD3<Float>
    public var key: SIMD3<Float>
    public var sky: SIMD3<Float>

    public init(direction: SIMD3<Float>, key: SIMD3<Float>, sky: SIMD3<Float>) {
        self.direction = direction
        self.key = key
        self.sky = sky
    }

    /// RIG.md: key light from normalize(0.3, 0.5, 0.8) at the rig's diffuse 0.65, white ambient 0.35.
    public static let canonical: ViewLight = {
        let d = SIMD3<Float>(0.3, 0.5, 0.8)
        return ViewLight(
            direction: d / (d * d).sum().squareRoot(), key: SIMD3(repeating: 0.65), sky: SIMD3(repeating: 0.35))
    }()

    /// The key and sky intensities: the means of their colours (what inversion estimates of a
    /// photo's light; colour casts belong to the photometric gain).
    public var keyIntensity: Float { key.sum() / 3 }
    public var skyIntensity: Float { sky.sum() / 3 }

    /// Floats in `packed`.
    public static let count = 9
    /// direction (3), key (3), sky (3).
    public var packed: [Float] { [direction.x, direction.y, direction.z, key.x, key.y, key.z, sky.x, sky.y, sky.z] }

    public init(packed p: [Float]) {
        precondition(p.count == Self.count, "a light is \(Self.count) floats")
        direction = SIMD3(p[0], p[1], p[2])
        key = SIMD3(p[3], p[4], p[5])
        sky = SIMD3(p[6], p[7], p[8])
    }

    /// One view's record in lighting.json (written by `nerfinv generate`).
    struct Record: Decodable {
        var keyDirection: [Double]
        var keyIntensity: Double
        var keyColour: [Double]
        var ambient: Double
        var ambientColour: [Double]
        var exposure: Double
        enum CodingKeys: String, CodingKey {
            case keyDirection = "key_direction", keyIntensity = "key_intensity", keyColour = "key_colour", ambient
            case ambientColour = "ambient_colour", exposure
        }
    }
    struct File: Decodable { var views: [Record] }

    /// Lights per view from an object folder's lighting.json; nil when the folder has none (the view
    /// is then taken to be under the canonical light). Errors name the file.
    public static func load(objectFolder dir: String, views: Int) throws -> [ViewLight]? {
        let path = "\(dir)/lighting.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file: File
        do {
            file = try JSONDecoder().decode(
                File.self, from: try ReadFile.data(path, limit: 16 << 20, what: "lighting record"))
        } catch let e as FileError {
            throw e
        } catch {
            throw FileError(path: path, reason: "not a lighting record (\(error))")
        }
        guard file.views.count == views else {
            throw FileError(path: path, reason: "has \(file.views.count) lights for \(views) views")
        }
        return try file.views.enumerated().map { i, r in
            let values = r.keyDirection + r.keyColour + r.ambientColour + [r.keyIntensity, r.ambient, r.exposure]
            guard r.keyDirection.count == 3, r.keyColour.count == 3, r.ambientColour.count == 3,
                values.allSatisfy({ $0.isFinite })
            else { throw FileError(path: path, reason: "light \(i) is not three finite triples and three numbers") }
            func v(_ a: [Double], _ s: Double) -> SIMD3<Float> {
                SIMD3(Float(a[0] * s), Float(a[1] * s), Float(a[2] * s))
            }
            let d = v(r.keyDirection, 1)
            let norm = (d * d).sum().squareRoot()
            guard norm > 0.5 else { throw FileError(path: path, reason: "light \(i) has no direction") }
            return ViewLight(
                direction: d / norm, key: v(r.keyColour, r.keyIntensity * r.exposure),
                sky: v(r.ambientColour, r.ambient * r.exposure))
        }
    }
}
