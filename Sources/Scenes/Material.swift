/// Surface colour of a part. Albedos are linear RGB (converted from the sRGB palette once).
public struct Material: Sendable, Equatable {
    public var albedo: Vec3
    /// A glasshouse: above `beltZ` (world z), faces that are not the roof are `glass.albedo`, except
    /// pillar bands. Turns one cabin solid into windscreen, side and rear windows.
    public var glass: Glasshouse?
    /// Reflectance at normal incidence (F0) and roughness of the surface (see `SurfaceRange`);
    /// 0 and 1 (no highlight) unless the scene file gives the part a surface.
    public var specular: Float = 0
    public var roughness: Float = 1
    /// Door gaps and a stripe painted on the part (nil: plain).
    public var paint: Paint?

    public init(albedo: Vec3, glass: Glasshouse? = nil, specular: Float = 0, roughness: Float = 1) {
        self.albedo = albedo
        self.glass = glass
        self.specular = specular
        self.roughness = roughness
    }

    /// Markings on a painted part, in world units.
    public struct Paint: Sendable, Equatable {
        /// x positions of door gaps on the sides, their half width, and the z band they span.
        public var doorLines: [Float] = []
        var lineHalfWidth: Float = 0.012
        public var lineZ: ClosedRange<Float> = 0...0
        /// A stripe along x on the upward faces, |y| < stripeHalfWidth, in `stripeAlbedo` (nil: none).
        public var stripeHalfWidth: Float = 0
        public var stripeAlbedo: Vec3?
        public init() {}
    }

    /// How dark a door gap is relative to the paint.
    static let gapShade: Float = 0.2

    /// What shading needs at a point: colour, reflectance and roughness.
    public struct Surface {
        public var albedo: Vec3
        public var specular: Float
        public var roughness: Float
    }

    public struct Glasshouse: Sendable, Equatable {
        public var albedo: Vec3
        /// World z of the belt line (bottom of the windows) and of the roof.
        var beltZ: Float
        var roofZ: Float
        /// The windscreen's and rear window's lower edges (world x at the belt) and their slopes
        /// (tan of the angle from vertical): the edges recede by slope * (z - beltZ).
        var frontX: Float
        var frontSlope: Float
        var rearX: Float
        var rearSlope: Float
        /// x positions of the B (and C) pillars on the sides.
        var pillarX: [Float]
        var pillarHalfWidth: Float
        /// Half width of the glasshouse; front and rear glass stop a pillar width inside it.
        var halfWidth: Float
        /// The glass's reflectance and roughness.
        public var specular: Float = 0
        public var roughness: Float = 1
    }

    /// Colour, reflectance and roughness at world point p with unit normal n.
    @inline(__always)
    public func surface(at p: Vec3, normal n: Vec3) -> Surface {
        if onGlass(p, n), let g = glass {
            return Surface(albedo: g.albedo, specular: g.specular, roughness: g.roughness)
        }
        guard let paint else { return Surface(albedo: albedo, specular: specular, roughness: roughness) }
        var a = albedo
        if let stripe = paint.stripeAlbedo, n.z > 0.3, abs(p.y) < paint.stripeHalfWidth { a = stripe }
        if abs(n.y) > 0.6, paint.lineZ.contains(p.z) {
            for x in paint.doorLines where abs(p.x - x) < paint.lineHalfWidth { a *= Self.gapShade }
        }
        return Surface(albedo: a, specular: specular, roughness: roughness)
    }

    /// Whether p (normal n) lies on the glasshouse's glass rather than its paint.
    @inline(__always)
    func onGlass(_ p: Vec3, _ n: Vec3) -> Bool {
        guard let g = glass, p.z > g.beltZ, p.z < g.roofZ - g.pillarHalfWidth, n.z < 0.97 else { return false }
        let rise = p.z - g.beltZ
        if abs(n.y) > 0.6 {
            // Side windows: between the A and C pillars, which follow the sloped edges.
            let front = g.frontX - g.frontSlope * rise - 1.6 * g.pillarHalfWidth
            let rear = g.rearX + g.rearSlope * rise + 1.6 * g.pillarHalfWidth
            guard p.x < front, p.x > rear else { return false }
            for x in g.pillarX where abs(p.x - x) < g.pillarHalfWidth { return false }
            return true
        }
        return abs(p.y) < g.halfWidth - 1.5 * g.pillarHalfWidth
    }

    func scaled(by s: Float, translation t: Vec3) -> Material {
        var m = self
        if var g = glass {
            g.beltZ = (g.beltZ + t.z) * s
            g.roofZ = (g.roofZ + t.z) * s
            g.frontX = (g.frontX + t.x) * s
            g.rearX = (g.rearX + t.x) * s
            g.pillarX = g.pillarX.map { ($0 + t.x) * s }
            g.pillarHalfWidth *= s
            g.halfWidth *= s
            m.glass = g
        }
        if var p = paint {
            p.doorLines = p.doorLines.map { ($0 + t.x) * s }
            p.lineHalfWidth *= s
            p.lineZ = ((p.lineZ.lowerBound + t.z) * s)...((p.lineZ.upperBound + t.z) * s)
            p.stripeHalfWidth *= s
            m.paint = p
        }
        return m
    }
}

/// One object: a union of primitives with their materials, in the world frame of ../shared/RIG.md.
public struct SceneObject: Sendable, Equatable {
    public var primitives: [SDFPrimitive]
    public var materials: [Material]
    /// What the generator chose, by name (`ObjectAttributes`: sizes in metres before the object is
    /// fitted to the box, body colour's brightness and hue); empty for objects without a generator.
    public var attributes: [String: Double] = [:]

    public init(primitives: [SDFPrimitive], materials: [Material]) {
        self.primitives = primitives
        self.materials = materials
    }

    /// Axis-aligned bounds (min, max) of all primitives.
    public var bounds: (lo: Vec3, hi: Vec3) {
        var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
        for p in primitives {
            let b = p.bounds
            lo = pointwiseMin(lo, b.lo)
            hi = pointwiseMax(hi, b.hi)
        }
        return (lo, hi)
    }

    /// Moves the bounding-box centre to the origin and scales by `scale`, shrinking further if
    /// needed so that the object lies inside [-fit, fit]^3.
    func normalized(scale: Float, fit: Float = 0.98) -> SceneObject {
        let b = bounds
        let t = -(b.lo + b.hi) / 2
        let half = (b.hi - b.lo) / 2
        let s = min(scale, fit / max(half.x, max(half.y, half.z)))
        var o = SceneObject(
            primitives: primitives.map { $0.scaled(by: s, translation: t) },
            materials: materials.map { $0.scaled(by: s, translation: t) })
        // Sizes follow the object into the box: the attributes say what the views show.
        o.attributes = attributes
        for key in ObjectAttributes.sizes where o.attributes[key] != nil { o.attributes[key]! *= Double(s) }
        return o
    }

    /// Signed distance of the union and the index of the closest primitive.
    public func distance(_ p: Vec3) -> (distance: Float, primitive: Int) {
        var best = Float.infinity, index = -1
        for (i, prim) in primitives.enumerated() {
            let d = prim.distance(p)
            if d < best {
                best = d
                index = i
            }
        }
        return (best, index)
    }
}
