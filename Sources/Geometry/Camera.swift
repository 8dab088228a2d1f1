import Foundation

/// Pinhole intrinsics in pixels: pixel (i, j) has its centre at (i + 0.5, j + 0.5).
public struct Intrinsics: Codable, Sendable, Equatable {
    public var focal: Double  // fx = fy (square pixels)
    public var cx: Double
    public var cy: Double
    public var width: Int
    public var height: Int

    public init(focal: Double, cx: Double, cy: Double, width: Int, height: Int) {
        self.focal = focal
        self.cx = cx
        self.cy = cy
        self.width = width
        self.height = height
    }

    /// The rig's intrinsics: vertical field of view `fovDegrees`, principal point at the centre.
    public static func rig(width: Int, height: Int, fovDegrees: Double = Rig.fovDegrees) -> Intrinsics {
        Intrinsics(
            focal: Double(height) / 2 / tan(fovDegrees * .pi / 360), cx: Double(width) / 2, cy: Double(height) / 2,
            width: width, height: height)
    }

    /// The same camera at another resolution (focal and principal point scale with the image).
    public func resized(width w: Int, height h: Int) -> Intrinsics {
        let sx = Double(w) / Double(width), sy = Double(h) / Double(height)
        return Intrinsics(focal: focal * sy, cx: cx * sx, cy: cy * sy, width: w, height: h)
    }
}

/// A posed pinhole camera: intrinsics plus a camera-to-world transform in OpenCV axes
/// (+x right, +y down, +z forward), the convention of ../shared/RIG.md.
public struct Camera: Sendable, Equatable {
    public var intrinsics: Intrinsics
    /// Rotation columns are the camera's right, down and forward axes in world coordinates.
    public var rotation: [SIMD3<Double>]
    /// Camera centre in world coordinates.
    public var position: SIMD3<Double>

    public init(intrinsics: Intrinsics, cameraToWorld m: [Double]) {
        precondition(m.count == 16, "camera-to-world needs 16 values")
        self.intrinsics = intrinsics
        rotation = (0..<3).map { c in SIMD3(m[c], m[4 + c], m[8 + c]) }
        position = SIMD3(m[3], m[7], m[11])
    }

    /// The 4x4 camera-to-world matrix, row-major.
    public var cameraToWorld: [Double] {
        let r = rotation
        return [
            r[0].x, r[1].x, r[2].x, position.x,
            r[0].y, r[1].y, r[2].y, position.y,
            r[0].z, r[1].z, r[2].z, position.z,
            0, 0, 0, 1,
        ]
    }

    /// World-space ray through continuous pixel coordinates (x, y); (i + 0.5, j + 0.5) is the centre
    /// of pixel (i, j). The direction is unit length.
    @inline(__always)
    public func ray(x: Double, y: Double) -> (origin: SIMD3<Double>, direction: SIMD3<Double>) {
        let k = intrinsics
        let d = rotation[0] * ((x - k.cx) / k.focal) + rotation[1] * ((y - k.cy) / k.focal) + rotation[2]
        return (position, d / (d * d).sum().squareRoot())
    }

    /// Projects a world point: continuous pixel coordinates and camera-z depth (negative behind).
    public func project(_ p: SIMD3<Double>) -> (x: Double, y: Double, depth: Double) {
        let q = p - position
        let xc = (q * rotation[0]).sum(), yc = (q * rotation[1]).sum(), zc = (q * rotation[2]).sum()
        return (intrinsics.focal * xc / zc + intrinsics.cx, intrinsics.focal * yc / zc + intrinsics.cy, zc)
    }
}

/// The default rig of ../shared/RIG.md.
public enum Rig {
    public static let distance = 3.0
    public static let fovDegrees = 40.0
    public static let elevationRange = 5.0...45.0

    /// Camera position for azimuth (0 on +x, counter-clockwise seen from above) and elevation
    /// (above the xy-plane), in degrees.
    public static func eye(azimuth: Double, elevation: Double, distance: Double = distance) -> SIMD3<Double> {
        let a = azimuth * .pi / 180, e = elevation * .pi / 180
        return SIMD3(distance * cos(e) * cos(a), distance * cos(e) * sin(a), distance * sin(e))
    }

    /// A rig camera looking at the origin with +z up.
    public static func camera(
        azimuth: Double, elevation: Double, distance: Double = distance,
        fovDegrees: Double = fovDegrees, width: Int, height: Int
    ) -> Camera {
        let e = eye(azimuth: azimuth, elevation: elevation, distance: distance)
        // Elevations of exactly ±90° look along the up vector; nudge so look-at stays defined.
        let m = LookAt.cameraToWorld(eye: [e.x, e.y, e.z]) ?? LookAt.cameraToWorld(eye: [e.x + 1e-9, e.y, e.z])!
        return Camera(intrinsics: .rig(width: width, height: height, fovDegrees: fovDegrees), cameraToWorld: m)
    }

    /// Azimuth and elevation (degrees) of a camera position, inverse of `eye`.
    public static func angles(of position: SIMD3<Double>) -> (azimuth: Double, elevation: Double, distance: Double) {
        let d = (position * position).sum().squareRoot()
        var az = atan2(position.y, position.x) * 180 / .pi
        if az < 0 { az += 360 }
        return (az, asin(max(-1, min(1, position.z / max(d, 1e-12)))) * 180 / .pi, d)
    }

    /// The test protocol: view 0 at azimuth 35°, elevation 20° (the input), then views 1...24 at
    /// azimuth 15k°, elevation 10° for even k and 30° for odd k.
    public static let testViews: [(azimuth: Double, elevation: Double)] = {
        var views: [(azimuth: Double, elevation: Double)] = [(35, 20)]
        for k in 0..<24 { views.append((Double(15 * k), k % 2 == 0 ? 10.0 : 30.0)) }
        return views
    }()
}
