import FileIO
import Foundation
import NeuralCore

/// A closed interval [lo, hi], written in JSON as a two-element array.
public struct Span: Codable, Sendable, Equatable {
    public var lo: Double
    public var hi: Double
    public init(_ lo: Double, _ hi: Double) {
        self.lo = lo
        self.hi = hi
    }
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        lo = try c.decode(Double.self)
        hi = try c.decode(Double.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a range has exactly two numbers [lo, hi]")
        }
        guard lo.isFinite, hi.isFinite, lo <= hi else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "range [\(lo), \(hi)] must be finite with lo <= hi"))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(lo)
        try c.encode(hi)
    }
    /// A uniform draw.
    public func sample(_ rng: inout SplitMix64) -> Float { Float(lo + (hi - lo) * rng.nextDouble()) }
}

/// The camera rig and light of ../shared/RIG.md, as a scene file states them.
public struct RigSpec: Codable, Sendable, Equatable {
    public var distance: Double
    public var fovDegrees: Double
    public var azimuthRange: Span
    public var elevationRange: Span
    /// Direction the key light arrives from (towards the light), normalised on use.
    public var lightDirection: [Double]
    public var ambient: Double
    public var diffuse: Double
    public var background: [Double]
}

/// Optional car parts and paint, each with the probability that a car has it (a scene file's
/// "details"; absent: none, the first generation's cars).
public struct CarDetails: Settings, Sendable, Equatable {
    /// Side mirrors at the base of the windscreen.
    var mirrors = 0.0
    /// Roof rails along the roof's edges.
    var roofRails = 0.0
    /// A rear spoiler on two posts.
    var spoiler = 0.0
    /// Wheel spokes over a dark rim well instead of a plain hub disc.
    var spokes = 0.0
    /// Dark door gaps on the body sides.
    public var doorLines = 0.0
    /// Roof and pillars in a second paint colour.
    var twoTone = 0.0
    /// A racing stripe along the top surfaces.
    public var stripes = 0.0
    /// Proportions interpolated between the drawn style and a second one (weight uniform in [0, blend]).
    var blend = 0.0

    public init() {}

    public static let keys: [SettingKey<CarDetails>] = [
        .init("mirrors", \.mirrors),
        .init("roofRails", \.roofRails),
        .init("spoiler", \.spoiler),
        .init("spokes", \.spokes),
        .init("doorLines", \.doorLines),
        .init("twoTone", \.twoTone),
        .init("stripes", \.stripes),
        .init("blend", \.blend),
    ]

    var problem: String? {
        for (name, p) in [
            ("mirrors", mirrors), ("roof_rails", roofRails), ("spoiler", spoiler), ("spokes", spokes),
            ("door_lines", doorLines),
            ("two_tone", twoTone), ("stripes", stripes), ("blend", blend),
        ] where !(0...1).contains(p) {
            return "details.\(name) must lie in [0, 1]"
        }
        return nil
    }
}

/// Default dataset sizes for a family.
public struct ViewSpec: Codable, Sendable, Equatable {
    public var train: Int
    public var test: Int
    public var resolution: Int
    /// Rays per pixel side (2 = 2x2 supersampling).
    public var supersample: Int
}

/// One car body style: every field is a range the generator samples uniformly.
public struct CarType: Codable, Sendable, Equatable {
    public var name: String
    public var weight: Double
    public var length: Span  // m
    public var width: Span  // m
    var bodyHeight: Span  // m, lower body (below the windows)
    var clearance: Span  // m, ground to the body's underside
    var wheelRadius: Span  // m
    var wheelWidth: Span  // m
    var wheelbase: Span  // fraction of length
    var cabinLength: Span  // fraction of length, at the belt line
    var cabinHeight: Span  // m
    var cabinOffset: Span  // fraction of length, + towards the front
    var cabinWidth: Span  // fraction of width
    var windshield: Span  // degrees from vertical
    var rearWindow: Span  // degrees from vertical
    var hoodDrop: Span  // m the bonnet falls towards the nose
    public var rounding: Span  // m edge radius of the body
    public var bed: Bool?  // pickup bed behind the cabin

    /// Every range moved towards `other`'s by `weight` (0: this style); the name and the bed stay this style's.
    func blended(with other: CarType, weight w: Float) -> CarType {
        func mix(_ a: Span, _ b: Span) -> Span {
            let x = Double(w)
            return Span(a.lo * (1 - x) + b.lo * x, a.hi * (1 - x) + b.hi * x)
        }
        var t = self
        t.length = mix(length, other.length)
        t.width = mix(width, other.width)
        t.bodyHeight = mix(bodyHeight, other.bodyHeight)
        t.clearance = mix(clearance, other.clearance)
        t.wheelRadius = mix(wheelRadius, other.wheelRadius)
        t.wheelWidth = mix(wheelWidth, other.wheelWidth)
        t.wheelbase = mix(wheelbase, other.wheelbase)
        t.cabinLength = mix(cabinLength, other.cabinLength)
        t.cabinHeight = mix(cabinHeight, other.cabinHeight)
        t.cabinOffset = mix(cabinOffset, other.cabinOffset)
        t.cabinWidth = mix(cabinWidth, other.cabinWidth)
        t.windshield = mix(windshield, other.windshield)
        t.rearWindow = mix(rearWindow, other.rearWindow)
        t.hoodDrop = mix(hoodDrop, other.hoodDrop)
        t.rounding = mix(rounding, other.rounding)
        return t
    }
}

/// One chair style.
public struct ChairType: Codable, Sendable, Equatable {
    public var name: String
    public var weight: Double
    var seatWidth: Span
    var seatDepth: Span
    var seatHeight: Span
    var seatThickness: Span
    var backHeight: Span
    var backTilt: Span  // degrees
    var legThickness: Span
    var legs: String  // "four" | "pedestal" | "sled"
    var slats: Span  // number of back slats (0 = solid back)
    var arms: Double  // probability of armrests
}

/// A scene family file (scenes/*.json): the generator, its parameter ranges, colours, rig and view counts.
public struct SceneSpec: Codable, Sendable, Equatable {
    public var name: String
    public var generator: String
    public var description: String?
    /// World units per metre before fitting into [-1, 1]^3: one scale for the whole family, so
    /// apparent size at the rig's fixed distance carries real size.
    var unitsPerMeter: Double
    public var rig: RigSpec
    public var views: ViewSpec
    /// Named colour lists, sRGB 0...255.
    public var palette: [String: [[Double]]]
    /// Relative per-channel jitter applied to drawn colours.
    var tint: Double
    public var cars: [CarType]?
    public var chairs: [ChairType]?
    /// Effects beyond Lambertian shading (nil: none, as before they existed).
    public var imageFormation: ImageFormation?
    /// Ranges of per-image lighting for training data (nil: the rig's canonical light only).
    public var lighting: LightingRanges?
    /// Reflectance and roughness per part, by palette name ("body", "window", "tyre", "hub",
    /// "trim", "headlight", "taillight"); parts not named stay matte.
    public var surfaces: [String: SurfaceRange]?
    /// Optional car parts and paint (nil: none).
    public var details: CarDetails?

    public static let generators = ["car", "chair"]

    /// Loads and validates a scene file; errors name the file and the problem.
    public static func load(_ path: String) throws -> SceneSpec {
        let data = try ReadFile.data(path, limit: 1 << 20, what: "scene file")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let spec: SceneSpec
        do { spec = try decoder.decode(SceneSpec.self, from: data) } catch let DecodingError.keyNotFound(key, ctx) {
            throw FileError(path: path, reason: "missing field '\(fieldPath(ctx.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw FileError(path: path, reason: "wrong type at '\(fieldPath(ctx.codingPath))': \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            throw FileError(
                path: path, reason: "invalid value at '\(fieldPath(ctx.codingPath))': \(ctx.debugDescription)")
        } catch {
            throw FileError(path: path, reason: "not a valid scene file (JSON syntax error)")
        }
        if let problem = spec.problem { throw FileError(path: path, reason: problem) }
        return spec
    }

    /// A lighting-ranges file (the keys of a scene file's "lighting"); errors name the file.
    public static func loadLightingRanges(_ path: String) throws -> LightingRanges {
        let data = try ReadFile.data(path, limit: 1 << 20, what: "lighting ranges file")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let ranges: LightingRanges
        do { ranges = try decoder.decode(LightingRanges.self, from: data) } catch {
            throw FileError(path: path, reason: "not valid lighting ranges (\(error))")
        }
        if let problem = ranges.problem { throw FileError(path: path, reason: problem) }
        return ranges
    }

    /// A coding path as the file spells it: snake_case keys, [i] for array elements.
    static func fieldPath(_ path: [CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue {
                out += "[\(i)]"
                continue
            }
            var snake = ""
            for ch in key.stringValue { if ch.isUppercase { snake += "_" + ch.lowercased() } else { snake.append(ch) } }
            out += (out.isEmpty ? "" : ".") + snake
        }
        return out
    }

    /// The first inconsistency found, or nil.
    public var problem: String? {
        guard Self.generators.contains(generator) else {
            return "unknown generator '\(generator)' (known: \(Self.generators.joined(separator: ", ")))"
        }
        guard unitsPerMeter > 0, unitsPerMeter.isFinite else { return "units_per_meter must be positive" }
        guard rig.distance > 1.5, rig.distance <= 1000, rig.fovDegrees > 1, rig.fovDegrees < 170 else {
            return "rig.distance must lie in (1.5, 1000] and rig.fov_degrees in (1, 170)"
        }
        guard [rig.ambient, rig.diffuse].allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 10 }),
            (rig.lightDirection + rig.background).allSatisfy(\.isFinite)
        else { return "rig.ambient and rig.diffuse must lie in 0...10, the light and background be finite" }
        let e = rig.elevationRange, a = rig.azimuthRange
        guard [e.lo, e.hi, a.lo, a.hi].allSatisfy(\.isFinite), abs(e.lo) < 90, abs(e.hi) < 90 else {
            return "rig.elevation_range must lie strictly inside (-90, 90) and both ranges be finite"
        }
        guard rig.lightDirection.count == 3, rig.background.count == 3 else {
            return "light_direction and background need 3 numbers"
        }
        guard views.resolution >= 8, views.resolution <= 4096, views.supersample >= 1, views.supersample <= 8,
            views.train >= 1
        else {
            return "views: resolution 8...4096, supersample 1...8, train >= 1"
        }
        for (name, colours) in palette {
            guard !colours.isEmpty, colours.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0 >= 0 && $0 <= 255 } })
            else {
                return "palette '\(name)': each colour is three numbers in 0...255"
            }
        }
        let needed =
            generator == "car"
            ? ["body", "window", "tyre", "hub", "headlight", "taillight", "trim"] : ["wood", "fabric", "metal"]
        for key in needed where palette[key] == nil { return "palette needs '\(key)' for the \(generator) generator" }
        if let problem = imageFormation?.problem ?? lighting?.problem ?? details?.problem { return problem }
        for (_, r) in surfaces ?? [:] { if let problem = r.problem { return problem } }
        if generator == "car" {
            guard let cars, !cars.isEmpty, cars.allSatisfy({ $0.weight > 0 }) else {
                return "the car generator needs 'cars' with positive weights"
            }
        } else {
            guard let chairs, !chairs.isEmpty,
                chairs.allSatisfy({ $0.weight > 0 && ["four", "pedestal", "sled"].contains($0.legs) })
            else {
                return "the chair generator needs 'chairs' with positive weights and legs four|pedestal|sled"
            }
        }
        return nil
    }

    /// A colour from a named palette list, converted to linear RGB, with the family's tint jitter.
    func colour(_ name: String, _ rng: inout SplitMix64, jitter: Bool = true) -> Vec3 {
        let list = palette[name]!
        let c = list[rng.nextInt(list.count)]
        var v = Vec3(Float(c[0]), Float(c[1]), Float(c[2])) / 255
        if jitter {
            for i in 0..<3 { v[i] = min(1, max(0, v[i] * (1 + Float(tint) * (2 * rng.nextFloat() - 1)))) }
        }
        return Vec3(srgbToLinear(v.x), srgbToLinear(v.y), srgbToLinear(v.z))
    }

    private func srgbToLinear(_ c: Float) -> Float { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }

    /// Draws an index with probability proportional to the weights.
    static func pick(_ weights: [Double], _ rng: inout SplitMix64) -> Int {
        var u = rng.nextDouble() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }

    /// The object for (seed, index): each object has its own random stream, so objects can be
    /// generated in any order and a dataset is the same whatever the thread count. `styles`
    /// restricts the style drawn (a held-out-style split) without changing the stream.
    public func makeObject(seed: UInt64, index: Int, styles: Set<String>? = nil) -> (object: SceneObject, style: String)
    {
        var mixer = SplitMix64(seed: seed &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        var rng = SplitMix64(seed: mixer.next())
        func weights(_ names: [String], _ w: [Double]) -> [Double] {
            guard let styles else { return w }
            return zip(names, w).map { styles.contains($0) ? $1 : 0 }
        }
        switch generator {
        case "car":
            var surfaceRNG = SplitMix64(seed: mixer.next()), detailRNG = SplitMix64(seed: mixer.next())
            let w = weights(cars!.map(\.name), cars!.map(\.weight))
            var t = cars![Self.pick(w, &rng)]
            if let blend = details?.blend, blend > 0 {
                // A second style's proportions mixed in (the same number of draws from the shape stream).
                t = t.blended(with: cars![Self.pick(w, &detailRNG)], weight: Float(blend) * detailRNG.nextFloat())
            }
            let car = CarGenerator(spec: self).make(t, &rng, surfaces: &surfaceRNG, details: &detailRNG)
            return (car.normalized(scale: Float(unitsPerMeter)), t.name)
        default:
            let t = chairs![Self.pick(weights(chairs!.map(\.name), chairs!.map(\.weight)), &rng)]
            return (ChairGenerator(spec: self).make(t, &rng).normalized(scale: Float(unitsPerMeter)), t.name)
        }
    }

    /// The family's style names.
    public var styles: [String] { cars?.map(\.name) ?? chairs?.map(\.name) ?? [] }
}
