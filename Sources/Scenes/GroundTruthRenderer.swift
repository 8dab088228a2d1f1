import Foundation
import Geometry
import Imaging
import NeuralCore

/// Light, image formation, background and sampling of the ground-truth renderer (../shared/RIG.md).
public struct ShadingSettings: Sendable, Equatable {
    public var lighting: Lighting
    public var formation: ImageFormation
    /// Linear RGB; never exposed or lit: the rig's background stays white.
    public var background: Vec3
    /// Rays per pixel side.
    public var supersample: Int
    /// Surroundings for a second picture of each view, a photo with a background (nil: none).
    public var environment: Environment? = nil

    /// Lambertian shading under the rig's canonical light (the first generation's images).
    public init(rig: RigSpec, supersample: Int) {
        lighting = .canonical(rig: rig)
        formation = ImageFormation()
        background = Vec3(Float(rig.background[0]), Float(rig.background[1]), Float(rig.background[2]))
        self.supersample = supersample
    }

    /// The scene file's image formation under `lighting` (nil: the canonical light).
    public init(spec: SceneSpec, lighting: Lighting? = nil, supersample: Int) {
        self.init(rig: spec.rig, supersample: supersample)
        self.lighting = lighting ?? .canonical(rig: spec.rig)
        formation = spec.imageFormation ?? ImageFormation()
    }
}

/// A rendered view. H rows, W columns.
public struct RenderedView: Sendable {
    public var width: Int
    public var height: Int
    /// (H, W, 4) sRGB colour over the background, alpha = covered fraction of the pixel.
    public var image: RGBAImage
    /// (H, W) camera-z depth of the surface, 0 where the pixel is mostly background.
    public var depth: [Float]
    /// (H, W, 4) the same view as a photo in `ShadingSettings.environment` (alpha 1), when there is one.
    public var photo: RGBAImage? = nil
}

/// Sphere tracer for a `SceneObject`: each ray first intersects every primitive's bounding sphere
/// and then marches only the primitives it can meet, so most of the frame (background) costs one
/// sphere test per primitive. Shading in linear light, stored as sRGB: a key light (with soft cast
/// shadows and a Blinn-Phong highlight where the image formation asks for them) plus ambient sky
/// light (with ambient occlusion and a Fresnel sky reflection), times the exposure.
public struct GroundTruthRenderer: Sendable {
    public let object: SceneObject
    public let shading: ShadingSettings
    let spheres: [SIMD4<Float>]  // (P) centre xyz, radius w
    let objectSphere: SIMD4<Float>

    /// Steps before a ray is declared a miss; grazing rays along a surface need many small steps.
    static let maxSteps = 160
    /// Hit threshold as a fraction of a sub-pixel's footprint: well below what anti-aliasing resolves.
    static let hitFraction: Float = 0.05
    /// Offset for the tetrahedral normal estimate (world units, objects span ~2).
    static let normalStep: Float = 5e-4

    public init(object: SceneObject, shading: ShadingSettings) {
        self.object = object
        self.shading = shading
        spheres = object.primitives.map {
            let s = $0.boundingSphere
            return SIMD4(s.center, s.radius)
        }
        let b = object.bounds
        let c = (b.lo + b.hi) / 2
        objectSphere = SIMD4(c, length(b.hi - c))
    }

    /// Enter/exit distances of the ray o + t d (unit d) through a sphere, or nil.
    @inline(__always)
    static func sphereSpan(_ o: Vec3, _ d: Vec3, _ s: SIMD4<Float>) -> (Float, Float)? {
        let oc = o - Vec3(s.x, s.y, s.z)
        let b = dot(oc, d), c = dot(oc, oc) - s.w * s.w
        let disc = b * b - c
        guard disc >= 0 else { return nil }
        let r = disc.squareRoot()
        let t1 = -b + r
        guard t1 > 0 else { return nil }
        return (max(0, -b - r), t1)
    }

    /// Traces one ray; returns the hit distance, the primitive hit and the unit normal, or nil.
    /// `scratch` holds (index, exit t) of the candidate primitives, capacity = primitive count.
    @inline(__always)
    func trace(_ o: Vec3, _ d: Vec3, eps epsPerUnit: Float, candidates: UnsafeMutablePointer<(Int32, Float)>) -> (
        t: Float, primitive: Int, normal: Vec3
    )? {
        guard Self.sphereSpan(o, d, objectSphere) != nil else { return nil }
        var n = 0
        var tStart = Float.infinity, tEnd: Float = 0
        for (i, s) in spheres.enumerated() {
            if let (a, b) = Self.sphereSpan(o, d, s) {
                candidates[n] = (Int32(i), b)
                n += 1
                tStart = min(tStart, a)
                tEnd = max(tEnd, b)
            }
        }
        guard n > 0 else { return nil }
        return object.primitives.withUnsafeBufferPointer { prims -> (t: Float, primitive: Int, normal: Vec3)? in
            func field(_ p: Vec3, _ t: Float) -> (Float, Int) {
                var best = Float.infinity, which = -1
                for k in 0..<n {
                    let (i, exit) = candidates[k]
                    if exit < t { continue }  // the ray has left this primitive's sphere for good
                    let s = spheres[Int(i)]
                    let bound = length(p - Vec3(s.x, s.y, s.z)) - s.w
                    if bound >= best { continue }
                    let dist = prims[Int(i)].distance(p)
                    if dist < best {
                        best = dist
                        which = Int(i)
                    }
                }
                return (best, which)
            }
            var t = tStart
            for _ in 0..<Self.maxSteps {
                let p = o + d * t
                let (dist, which) = field(p, t)
                let eps = max(1e-5, epsPerUnit * t)
                if dist < eps, which >= 0 {
                    // Tetrahedral central differences for the normal.
                    let h = Self.normalStep
                    let k0 = Vec3(1, -1, -1), k1 = Vec3(-1, -1, 1), k2 = Vec3(-1, 1, -1), k3 = Vec3(1, 1, 1)
                    var g = k0 * field(p + k0 * h, 0).0 + k1 * field(p + k1 * h, 0).0
                    g += k2 * field(p + k2 * h, 0).0 + k3 * field(p + k3 * h, 0).0
                    let len = length(g)
                    return (t, which, len > 0 ? g / len : -d)
                }
                t += dist
                if t > tEnd || !dist.isFinite { return nil }
            }
            return nil
        }
    }

    /// Rays towards the light start this far off the surface (world units; above the hit tolerance).
    static let shadowBias: Float = 2e-3
    /// Most steps of a shadow ray, and the smallest and largest step (world units): small enough
    /// to find a wheel arch's lip, large enough to cross the car in the step budget.
    static let shadowSteps = 64
    static let shadowStep: ClosedRange<Float> = 0.004...0.15
    /// Samples of the occlusion estimate along the normal.
    static let occlusionSamples = 5

    /// Linear radiance leaving point p (unit normal n) towards the camera (v = -ray direction).
    @inline(__always)
    func shade(
        _ p: Vec3, normal n: Vec3, view v: Vec3, primitive: Int, candidates: UnsafeMutablePointer<(Int32, Float)>
    )
        -> Vec3
    {
        let light = shading.lighting, form = shading.formation
        let surface = object.materials[object.primitives[primitive].material].surface(at: p, normal: n)
        let L = light.direction, key = light.key, sky = light.sky
        let ndl = max(0, dot(n, L))
        let shadow =
            form.shadows && ndl > 0 ? softShadow(p + n * Self.shadowBias, towards: L, candidates: candidates) : 1
        let ao = form.ambientOcclusion ? occlusion(p, n) : 1
        var c: Vec3
        if form.specular && surface.specular > 0 {
            // Normalised Blinn-Phong: π f_s = F (s + 8) / 8 (n·h)^s with s = 2 / α² - 2, α = roughness²,
            // Schlick's Fresnel; the white sky is mirrored with the Fresnel of the view angle.
            let r = max(surface.roughness, 0.02), alpha = r * r
            let shininess = 2 / (alpha * alpha) - 2
            let h = (L + v) / max(length(L + v), 1e-6)
            let f0 = surface.specular
            let fKey = f0 + (1 - f0) * pow(1 - max(0, dot(v, h)), 5)
            let fSky = f0 + (1 - f0) * pow(1 - max(0, dot(n, v)), 5)
            let lobe = fKey * (shininess + 8) / 8 * pow(max(0, dot(n, h)), shininess)
            c =
                surface.albedo * (1 - f0) * (sky * ao + key * (ndl * shadow)) + key * (lobe * ndl * shadow) + sky
                * (fSky * ao * (1 - r))
        } else {
            c = surface.albedo * (sky * ao + key * (ndl * shadow))
        }
        return c * Float(light.exposure)
    }

    /// Soft shadow factor (1 lit ... 0 occluded) along o + t L, by the SDF penumbra estimate
    /// min(k h / t) over the primitives whose bounding spheres the ray meets.
    func softShadow(_ o: Vec3, towards L: Vec3, candidates: UnsafeMutablePointer<(Int32, Float)>) -> Float {
        var n = 0
        var tEnd: Float = 0
        for (i, s) in spheres.enumerated() {
            if let (_, b) = Self.sphereSpan(o, L, s) {
                candidates[n] = (Int32(i), b)
                n += 1
                tEnd = max(tEnd, b)
            }
        }
        guard n > 0 else { return 1 }
        let k = Float(shading.formation.shadowSoftness)
        return object.primitives.withUnsafeBufferPointer { prims in
            var result: Float = 1, t = Self.shadowStep.lowerBound
            for _ in 0..<Self.shadowSteps {
                let p = o + L * t
                var h = Float.infinity
                for j in 0..<n where candidates[j].1 >= t { h = min(h, prims[Int(candidates[j].0)].distance(p)) }
                if h < 1e-4 { return 0 }
                result = min(result, k * h / t)
                t += min(max(h, Self.shadowStep.lowerBound), Self.shadowStep.upperBound)
                if t > tEnd { break }
            }
            let x = min(max(result, 0), 1)
            return x * x * (3 - 2 * x)
        }
    }

    /// Ambient occlusion (1 open ... 1 - strength fully enclosed) from the SDF at a few points along
    /// the normal: where the field is smaller than the distance walked, something is near.
    func occlusion(_ p: Vec3, _ n: Vec3) -> Float {
        let reach = Float(shading.formation.occlusionReach), step = reach / Float(Self.occlusionSamples)
        var occluded: Float = 0, weight: Float = 1, most: Float = 0
        for i in 1...Self.occlusionSamples {
            let h = step * Float(i)
            occluded += weight * max(0, h - object.distance(p + n * h).distance)
            most += weight * h
            weight *= 0.5
        }
        return 1 - Float(shading.formation.occlusionStrength) * min(1, occluded / most)
    }

    /// Linear radiance of the environment along o + t d (a ray that missed the object): the ground
    /// with the object's shadow and contact occlusion, a box, or the sky, under the view's light.
    func environmentRadiance(_ env: Environment, _ o: Vec3, _ d: Vec3, candidates: UnsafeMutablePointer<(Int32, Float)>)
        -> Vec3
    {
        let light = shading.lighting, L = light.direction, key = light.key, sky = light.sky
        let exposure = Float(light.exposure)
        let tGround: Float? = d.z < -1e-6 ? (env.groundZ - o.z) / d.z : nil
        let box = env.hitBox(o, d)
        if let t = tGround, t > 0, box.map({ t < $0.t }) ?? true {
            let p = o + d * t
            let up = Vec3(0, 0, 1)
            let shadow = L.z > 0 ? softShadow(p + up * Self.shadowBias, towards: L, candidates: candidates) : 0
            // Contact occlusion only near the object (the SDF is far everywhere else).
            let near = length(p - Vec3(objectSphere.x, objectSphere.y, objectSphere.z)) < objectSphere.w + 0.3
            let ao = near && shading.formation.ambientOcclusion ? occlusion(p, up) : 1
            return env.groundAlbedo(p.x, p.y) * (sky * ao + key * (max(0, L.z) * shadow)) * exposure
        }
        if let b = box { return b.albedo * (sky + key * max(0, dot(b.normal, L))) * exposure }
        return env.sky(d, key: key, ambient: sky) * exposure
    }

    /// Renders the object from `camera`. Rows run on both cores when `parallel` is true (turn it
    /// off when the caller already renders several views in parallel).
    public func render(camera: Camera, parallel: Bool = true) -> RenderedView {
        let W = camera.intrinsics.width, H = camera.intrinsics.height
        let ss = shading.supersample
        var pixels = [Float](repeating: 0, count: W * H * 4)
        var depth = [Float](repeating: 0, count: W * H)
        let environment = shading.environment
        var photo = [Float](repeating: 1, count: environment == nil ? 0 : W * H * 4)
        let epsPerUnit = Self.hitFraction / Float(camera.intrinsics.focal * Double(ss))
        let forward = Vec3(camera.rotation[2])
        let origin = Vec3(camera.position)
        let bgSRGB = Vec3(
            ColorSpace.linearToSRGB(shading.background.x), ColorSpace.linearToSRGB(shading.background.y),
            ColorSpace.linearToSRGB(shading.background.z))
        pixels.withUnsafeMutableBufferPointer { pxBuffer in
            depth.withUnsafeMutableBufferPointer { dpBuffer in
                photo.withUnsafeMutableBufferPointer { phBuffer in
                    let px = pxBuffer.baseAddress!, dp = dpBuffer.baseAddress!,
                        ph = environment == nil ? nil : phBuffer.baseAddress
                    func body(_ rows: Range<Int>) {
                        let candidates = UnsafeMutablePointer<(Int32, Float)>.allocate(
                            capacity: max(1, self.spheres.count))
                        defer { candidates.deallocate() }
                        for j in rows {
                            for i in 0..<W {
                                var colour = Vec3.zero, surroundings = Vec3.zero
                                var hits = 0
                                var zSum: Float = 0
                                for sy in 0..<ss {
                                    for sx in 0..<ss {
                                        let x = Double(i) + (Double(sx) + 0.5) / Double(ss)
                                        let y = Double(j) + (Double(sy) + 0.5) / Double(ss)
                                        let d = Vec3(camera.ray(x: x, y: y).direction)
                                        if let hit = self.trace(origin, d, eps: epsPerUnit, candidates: candidates) {
                                            let p = origin + d * hit.t
                                            colour += self.shade(
                                                p, normal: hit.normal, view: -d, primitive: hit.primitive,
                                                candidates: candidates)
                                            hits += 1
                                            zSum += hit.t * dot(d, forward)
                                        } else {
                                            colour += self.shading.background
                                            if let environment {
                                                surroundings += self.environmentRadiance(
                                                    environment, origin, d, candidates: candidates)
                                            }
                                        }
                                    }
                                }
                                let n = Float(ss * ss)
                                let o = (j * W + i) * 4
                                if let ph {
                                    // The photo: the object's sub-samples and the surroundings' together.
                                    let objectPart = colour - self.shading.background * Float(ss * ss - hits)
                                    let c = (objectPart + surroundings) / n
                                    ph[o] = ColorSpace.linearToSRGB(c.x)
                                    ph[o + 1] = ColorSpace.linearToSRGB(c.y)
                                    ph[o + 2] = ColorSpace.linearToSRGB(c.z)
                                    ph[o + 3] = 1
                                }
                                colour /= n
                                if hits == 0 {
                                    px[o] = bgSRGB.x
                                    px[o + 1] = bgSRGB.y
                                    px[o + 2] = bgSRGB.z
                                    px[o + 3] = 0
                                } else {
                                    px[o] = ColorSpace.linearToSRGB(colour.x)
                                    px[o + 1] = ColorSpace.linearToSRGB(colour.y)
                                    px[o + 2] = ColorSpace.linearToSRGB(colour.z)
                                    px[o + 3] = Float(hits) / n
                                }
                                dp[j * W + i] = 2 * hits >= ss * ss ? zSum / Float(hits) : 0
                            }
                        }
                    }
                    if parallel { Parallel.forRanges(H, grain: 4, body) } else { body(0..<H) }
                }
            }
        }
        return RenderedView(
            width: W, height: H, image: RGBAImage(width: W, height: H, pixels: pixels), depth: depth,
            photo: environment == nil ? nil : RGBAImage(width: W, height: H, pixels: photo))
    }
}
