import Foundation
import NeuralCore

// Procedural surroundings for photos with backgrounds. B boxes (buildings, walls, clutter).

/// Where an object stands in a photo with a background: a textured ground plane at its wheels,
/// a sky graded from horizon to zenith, and boxes around it (buildings, walls, kerbs, clutter),
/// all lit by the view's light, the object casting its shadow on the ground. Everything but the
/// ground lies beyond `clearRadius`, outside the rig's camera ring, so nothing ever stands between
/// the camera and the object: the object's mask is its own alpha.
public struct Environment: Sendable, Equatable {
    /// Height of the ground (the object's lowest point).
    public var groundZ: Float
    /// Two ground colours (linear), the size of their pattern's tiles, and how much the value noise varies them.
    var groundA: Vec3, groundB: Vec3
    public var tile: Float
    public var grain: Float
    /// Sky at the horizon and at the zenith (linear, before the light's tint).
    var horizon: Vec3, zenith: Vec3
    /// Boxes: centre, half-size, colour (linear albedo).
    public struct Box: Sendable, Equatable {
        public var centre: Vec3, half: Vec3, albedo: Vec3
    }
    public var boxes: [Box]

    /// Radius beyond which the boxes stand: past the rig's cameras (3 units from the origin).
    static let clearRadius: Float = 3.4

    /// A random environment for an object whose lowest point is at `groundZ`.
    public static func random(groundZ: Float, rng: inout SplitMix64) -> Environment {
        func colour(_ lo: Float, _ hi: Float) -> Vec3 {
            Vec3(lo + (hi - lo) * rng.nextFloat(), lo + (hi - lo) * rng.nextFloat(), lo + (hi - lo) * rng.nextFloat())
        }
        // Ground: asphalt, paving, grass or sand; a second tone for the tiles.
        let grounds: [Vec3] = [
            Vec3(0.08, 0.08, 0.085), Vec3(0.25, 0.23, 0.2), Vec3(0.1, 0.18, 0.05), Vec3(0.45, 0.38, 0.26),
            Vec3(0.3, 0.3, 0.32),
        ]
        let g = grounds[rng.nextInt(grounds.count)] * (0.7 + 0.6 * rng.nextFloat())
        let g2 = g * (0.6 + 0.8 * rng.nextFloat())
        // Sky: clear, hazy, overcast or sunset.
        let skies: [(Vec3, Vec3)] = [
            (Vec3(0.75, 0.85, 1.0), Vec3(0.25, 0.45, 0.9)), (Vec3(0.85, 0.85, 0.85), Vec3(0.6, 0.65, 0.72)),
            (Vec3(1.0, 0.6, 0.35), Vec3(0.3, 0.3, 0.6)), (Vec3(0.9, 0.92, 0.95), Vec3(0.5, 0.6, 0.8)),
        ]
        let sky = skies[rng.nextInt(skies.count)]
        var boxes: [Box] = []
        // Buildings on a ring, walls, then clutter: all beyond the clear radius.
        for _ in 0..<(3 + rng.nextInt(6)) {
            let a = 2 * Float.pi * rng.nextFloat(), r = 6 + 8 * rng.nextFloat()
            let half = Vec3(0.8 + 2 * rng.nextFloat(), 0.8 + 2 * rng.nextFloat(), 0.8 + 3 * rng.nextFloat())
            boxes.append(
                Box(
                    centre: Vec3(r * cos(a), r * sin(a), groundZ + half.z), half: half,
                    albedo: colour(0.1, 0.7)))
        }
        for _ in 0..<rng.nextInt(3) {
            let a = 2 * Float.pi * rng.nextFloat(), r = 4 + 2 * rng.nextFloat()
            let long = 1.5 + 2 * rng.nextFloat(), height = 0.1 + 0.5 * rng.nextFloat()
            let half = abs(cos(a)) > abs(sin(a)) ? Vec3(0.08, long, height) : Vec3(long, 0.08, height)
            boxes.append(
                Box(centre: Vec3(r * cos(a), r * sin(a), groundZ + height), half: half, albedo: colour(0.2, 0.6)))
        }
        for _ in 0..<rng.nextInt(8) {
            let a = 2 * Float.pi * rng.nextFloat(), r = clearRadius + 0.3 + 3 * rng.nextFloat()
            let s = 0.05 + 0.25 * rng.nextFloat()
            boxes.append(
                Box(centre: Vec3(r * cos(a), r * sin(a), groundZ + s), half: Vec3(s, s, s), albedo: colour(0.05, 0.9)))
        }
        return Environment(
            groundZ: groundZ, groundA: g, groundB: g2, tile: 0.15 + 0.5 * rng.nextFloat(),
            grain: 0.1 + 0.3 * rng.nextFloat(), horizon: sky.0, zenith: sky.1, boxes: boxes)
    }

    /// Hash noise in 0...1 at a lattice point.
    static func hash(_ x: Int32, _ y: Int32) -> Float {
        var h = UInt32(bitPattern: x &* 374_761_393 &+ y &* 668_265_263)
        h = (h ^ (h >> 13)) &* 1_274_126_177
        return Float(h ^ (h >> 16)) / Float(UInt32.max)
    }

    /// Smooth value noise in 0...1.
    static func noise(_ x: Float, _ y: Float) -> Float {
        let xi = Int32(floor(x)), yi = Int32(floor(y)), fx = x - floor(x), fy = y - floor(y)
        let u = fx * fx * (3 - 2 * fx), v = fy * fy * (3 - 2 * fy)
        let a = hash(xi, yi), b = hash(xi + 1, yi), c = hash(xi, yi + 1), d = hash(xi + 1, yi + 1)
        return (a * (1 - u) + b * u) * (1 - v) + (c * (1 - u) + d * u) * v
    }

    /// The ground's albedo at (x, y): tiles of two tones, varied by two octaves of value noise.
    func groundAlbedo(_ x: Float, _ y: Float) -> Vec3 {
        let checker = (Int(floor(x / tile)) + Int(floor(y / tile))) & 1 == 0
        let n = 0.5 * Self.noise(x * 3, y * 3) + 0.5 * Self.noise(x * 17, y * 17)
        return (checker ? groundA : groundB) * (1 - grain + 2 * grain * n)
    }

    /// The sky seen along unit direction d, tinted by the light (linear).
    public func sky(_ d: Vec3, key: Vec3, ambient: Vec3) -> Vec3 {
        let t = max(0, min(1, d.z))
        let base = horizon * (1 - t) + zenith * t
        let lum = max(0.2, (ambient.x + ambient.y + ambient.z) / 3 + (key.x + key.y + key.z) / 3)
        return base * lum
    }

    /// The nearest box the ray o + t d meets: distance and outward normal.
    func hitBox(_ o: Vec3, _ d: Vec3) -> (t: Float, normal: Vec3, albedo: Vec3)? {
        var best: (t: Float, normal: Vec3, albedo: Vec3)? = nil
        for b in boxes {
            var tNear = -Float.infinity, tFar = Float.infinity, axis = 0
            var ok = true
            for k in 0..<3 {
                if abs(d[k]) < 1e-9 {
                    if abs(o[k] - b.centre[k]) > b.half[k] { ok = false }
                    continue
                }
                var t0 = (b.centre[k] - b.half[k] - o[k]) / d[k], t1 = (b.centre[k] + b.half[k] - o[k]) / d[k]
                if t0 > t1 { swap(&t0, &t1) }
                if t0 > tNear {
                    tNear = t0
                    axis = k
                }
                tFar = min(tFar, t1)
            }
            guard ok, tNear <= tFar, tNear > 1e-4 else { continue }
            if best == nil || tNear < best!.t {
                var n = Vec3.zero
                n[axis] = d[axis] > 0 ? -1 : 1
                best = (tNear, n, b.albedo)
            }
        }
        return best
    }
}
