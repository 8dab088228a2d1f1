import Foundation

public typealias Vec3 = SIMD3<Float>

@inline(__always) func length(_ v: Vec3) -> Float { (v * v).sum().squareRoot() }
@inline(__always) func dot(_ a: Vec3, _ b: Vec3) -> Float { (a * b).sum() }
@inline(__always) func vabs(_ v: Vec3) -> Vec3 { pointwiseMax(v, -v) }

/// A rigid frame: world point p maps to local R^T (p - center). Columns of `axes` are the local
/// x, y, z axes in world coordinates.
public struct Frame: Sendable, Equatable {
    public var center: Vec3
    public var axes: (Vec3, Vec3, Vec3)

    public init(center: Vec3, yaw: Float = 0, pitch: Float = 0) {
        // yaw about world z, then pitch about the yawed y axis.
        let cy = cos(yaw), sy = sin(yaw), cp = cos(pitch), sp = sin(pitch)
        self.center = center
        axes = (Vec3(cy * cp, sy * cp, -sp), Vec3(-sy, cy, 0), Vec3(cy * sp, sy * sp, cp))
    }

    public static func == (a: Frame, b: Frame) -> Bool {
        a.center == b.center && a.axes.0 == b.axes.0 && a.axes.1 == b.axes.1 && a.axes.2 == b.axes.2
    }

    @inline(__always) func local(_ p: Vec3) -> Vec3 {
        let q = p - center
        return Vec3(dot(q, axes.0), dot(q, axes.1), dot(q, axes.2))
    }
    @inline(__always) func world(_ l: Vec3) -> Vec3 { center + axes.0 * l.x + axes.1 * l.y + axes.2 * l.z }
}

/// An analytic solid with an exact or conservative (never overestimating) signed distance.
public struct SDFPrimitive: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        /// Box of half extents `half`, edges rounded by `radius` (within the half extents).
        case roundBox(half: Vec3, radius: Float)
        /// Cylinder along the local y axis: `radius`, half length `halfLength`, edges rounded by `rounding`.
        case cylinder(radius: Float, halfLength: Float, rounding: Float)
        case sphere(radius: Float)
        /// Segment from local (-halfLength, 0, 0) to (halfLength, 0, 0) swept by `radius`.
        case capsule(halfLength: Float, radius: Float)
    }

    public var shape: Shape
    public var frame: Frame
    /// Up to two half-spaces (local normal xyz, offset w): the solid keeps only points with
    /// n·p <= w. Stored inline rather than in an array so the hot SDF loop does no reference counting.
    var cut0: SIMD4<Float>
    var cut1: SIMD4<Float>
    var cutCount: Int
    /// Index into the object's material list.
    public var material: Int

    public init(_ shape: Shape, frame: Frame, material: Int, cuts: [(normal: Vec3, offset: Float)] = []) {
        precondition(cuts.count <= 2, "at most two cut planes per primitive")
        self.shape = shape
        self.frame = frame
        self.material = material
        cutCount = cuts.count
        cut0 = cuts.count > 0 ? SIMD4(cuts[0].normal, cuts[0].offset) : .zero
        cut1 = cuts.count > 1 ? SIMD4(cuts[1].normal, cuts[1].offset) : .zero
    }

    public static func == (a: SDFPrimitive, b: SDFPrimitive) -> Bool {
        a.shape == b.shape && a.frame == b.frame && a.material == b.material && a.cutCount == b.cutCount
            && a.cut0 == b.cut0 && a.cut1 == b.cut1
    }

    /// Signed distance from world point p (negative inside).
    @inline(__always)
    public func distance(_ p: Vec3) -> Float {
        let q = frame.local(p)
        var d: Float
        switch shape {
        case let .roundBox(half, radius):
            let e = vabs(q) - (half - Vec3(repeating: radius))
            d = length(pointwiseMax(e, .zero)) + min(max(e.x, max(e.y, e.z)), 0) - radius
        case let .cylinder(radius, halfLength, rounding):
            let dx = (q.x * q.x + q.z * q.z).squareRoot() - radius + rounding
            let dy = abs(q.y) - halfLength + rounding
            d = min(max(dx, dy), 0) + (max(dx, 0) * max(dx, 0) + max(dy, 0) * max(dy, 0)).squareRoot() - rounding
        case let .sphere(radius):
            d = length(q) - radius
        case let .capsule(halfLength, radius):
            let x = q.x - min(max(q.x, -halfLength), halfLength)
            d = (x * x + q.y * q.y + q.z * q.z).squareRoot() - radius
        }
        if cutCount > 0 {
            d = max(d, q.x * cut0.x + q.y * cut0.y + q.z * cut0.z - cut0.w)
            if cutCount > 1 { d = max(d, q.x * cut1.x + q.y * cut1.y + q.z * cut1.z - cut1.w) }
        }
        return d
    }

    /// Local half extents of an axis-aligned box containing the uncut shape.
    var localHalfExtents: Vec3 {
        switch shape {
        case let .roundBox(half, _): return half
        case let .cylinder(radius, halfLength, _): return Vec3(radius, halfLength, radius)
        case let .sphere(radius): return Vec3(repeating: radius)
        case let .capsule(halfLength, radius): return Vec3(halfLength + radius, radius, radius)
        }
    }

    /// A sphere containing the primitive (centre, radius), for culling rays.
    public var boundingSphere: (center: Vec3, radius: Float) { (frame.center, length(localHalfExtents)) }

    /// World-space axis-aligned bounds of the uncut shape's box (min, max).
    public var bounds: (lo: Vec3, hi: Vec3) {
        let h = localHalfExtents
        let ex: Vec3 = vabs(frame.axes.0) * h.x
        let ey: Vec3 = vabs(frame.axes.1) * h.y
        let ez: Vec3 = vabs(frame.axes.2) * h.z
        let ext = ex + ey + ez
        return (frame.center - ext, frame.center + ext)
    }

    /// The same primitive with every length scaled by s and moved by t (world), for normalisation.
    func scaled(by s: Float, translation t: Vec3) -> SDFPrimitive {
        var p = self
        p.frame.center = (frame.center + t) * s
        switch shape {
        case let .roundBox(half, radius): p.shape = .roundBox(half: half * s, radius: radius * s)
        case let .cylinder(radius, halfLength, rounding):
            p.shape = .cylinder(radius: radius * s, halfLength: halfLength * s, rounding: rounding * s)
        case let .sphere(radius): p.shape = .sphere(radius: radius * s)
        case let .capsule(halfLength, radius): p.shape = .capsule(halfLength: halfLength * s, radius: radius * s)
        }
        p.cut0.w *= s
        p.cut1.w *= s
        return p
    }
}
