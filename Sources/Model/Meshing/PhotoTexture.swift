import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// The input photo's own detail on a baked texture. N covered texels, H W the photo's size.

/// Puts the photo's pixels into a baked texture where the photo saw the surface, and mirrors them
/// onto the hidden side (the rig's cars are left-right symmetric: y -> -y).
///
/// A texel's point is seen when it faces the photo's camera, lies in the frame and agrees with the
/// field's depth there (nothing in front of it). The photo's colour comes back to the field's
/// terms first (its exposure, the view code's gain and bias, undone). An albedo texture takes it
/// as a ratio in linear light, texel × photo / field, where field is the field's own colour at
/// that point seen from the photo's camera under the photo's light: this takes the photo's light
/// out (what the field explains as shading stays shading). A texture with the light baked in takes
/// the photo's colour itself, and with `exposure` the whole texture gets the photo's exposure back,
/// so that the asset seen from the photo's camera is the photo. A hidden texel whose mirror point
/// is seen takes the mirror point's ratio or colour. The ratio's weight falls to 0 at grazing views and near depth edges, so seen, mirrored
/// and inferred regions blend instead of meeting at a seam.
public enum PhotoTexture {
    /// The photo as the model saw it (framed at the model's resolution), with what inversion found.
    public struct Photo {
        public var image: RGBAImage
        public var camera: Camera
        public var light: ViewLight
        /// The view code's photometric correction: photo = gain ⊙ render + bias.
        public var gain: SIMD3<Float>
        public var bias: SIMD3<Float>
        public init(image: RGBAImage, camera: Camera, light: ViewLight, gain: SIMD3<Float>, bias: SIMD3<Float>) {
            self.image = image
            self.camera = camera
            self.light = light
            self.gain = gain
            self.bias = bias
        }
    }

    /// The texture with the photo's detail, and where each texel's colour came from.
    public struct Result {
        public var image: RGBAImage
        /// Per texel (S, S, 3): the weight of the photo seen directly, of the mirrored photo, and of
        /// the model alone (they sum to 1 on covered texels; 0 elsewhere).
        public var confidence: [Float]
        public var seenTexels: Int
        public var mirroredTexels: Int
        /// Object pixels of the photo (the field's opacity over 0.5 at its camera).
        public var photoPixels: Int
        /// Seen texels per object pixel of the photo: the texture's resolution where the photo has one.
        public var texelsPerPhotoPixel: Double { Double(seenTexels) / Double(max(photoPixels, 1)) }
    }

    /// Cosine of the view angle under which a surface counts as seen (75.5°), and the one from which
    /// it counts fully (60°).
    static let grazingCosine: Float = 0.25
    static let fullCosine: Float = 0.5
    /// How far a texel may lie in front of the field's expected depth at its pixel, and behind it,
    /// and still be the surface the photo saw, in render samples along a ray.
    static let depthWindowInFront: Float = 3
    static let depthWindowBehind: Float = 1
    /// Pixels kept from the field's silhouette at the photo's camera.
    static let edgeMargin = 1
    /// The ratio photo / field is clamped to this factor either way: a pixel the field explains
    /// badly (a reflection, a matting edge) must not paint a texel black or white.
    static let maxRatio: Float = 3
    /// Linear-light guard in the ratio's denominator (a black field colour).
    static let ratioEpsilon: Float = 0.01

    static func linear(_ v: Float) -> Float { ColorSpace.srgbToLinear(v) }
    /// sRGB without `ColorSpace.linearToSRGB`'s clamp to 0...1: the photo's exposure may still
    /// scale the value, and the texel is clamped after it.
    static func srgb(_ v: Float) -> Float {
        v <= 0.0031308 ? 12.92 * v : Float(1.055 * pow(Double(max(v, 0)), 1 / 2.4) - 0.055)
    }

    /// Adds the photo's detail to `bake` (its texels' points in the world frame) in place of the
    /// model's colour where the photo saw the surface or its mirror; `spacing` is the mesh's cell size.
    public static func apply(
        _ bake: TextureBake.Result, field: any RadianceField, code: [Float], photo: Photo,
        spacing: Float, bakedLight: Bool = false, exposure: Bool = false
    ) -> Result {
        let S = bake.image.width, N = bake.index.count
        let cam = photo.camera, W = cam.intrinsics.width, H = cam.intrinsics.height
        let renderer = FieldRenderer(field: field, code: code)
        renderer.light = photo.light
        let view = renderer.render(camera: cam)
        let photoPixels = (0..<(W * H)).filter { view.image.pixels[4 * $0 + 3] > 0.5 }.count
        // Pixels at least `edgeMargin` from the silhouette: the photo's outline never lies exactly on
        // the field's, and a texel must not take the background's white from just outside it.
        var interior = [Bool](repeating: false, count: W * H)
        let r = edgeMargin
        for j in 0..<H {
            for i in 0..<W {
                var inside = true
                for dj in -r...r where inside {
                    for di in -r...r {
                        let (u, v) = (i + di, j + dj)
                        if u < 0 || v < 0 || u >= W || v >= H || view.image.pixels[4 * (v * W + u) + 3] < 0.5 {
                            inside = false
                            break
                        }
                    }
                }
                interior[j * W + i] = inside
            }
        }
        let eye = SIMD3<Float>(Float(cam.position.x), Float(cam.position.y), Float(cam.position.z))
        // The field's depth is the expected depth through its surface layer, which lies about one
        // render sample behind the mesh's surface (measured: the median texel of a car 0.026 box
        // units in front, with samples 0.031 apart).
        let delta = 2 * Float(field.spec.box) / Float(field.spec.samplesPerRay)
        let inFront = depthWindowInFront * delta, behindLimit = depthWindowBehind * delta

        /// How fully the photo saw point p with normal n (0...1) and its pixel position.
        func seen(_ p: SIMD3<Float>, _ n: SIMD3<Float>) -> (weight: Float, x: Double, y: Double) {
            let toEye = eye - p
            let facing = (n * toEye).sum() / max((toEye * toEye).sum().squareRoot(), 1e-9)
            guard facing > grazingCosine else { return (0, 0, 0) }
            let q = cam.project(SIMD3(Double(p.x), Double(p.y), Double(p.z)))
            let i = Int(q.x), j = Int(q.y)
            guard q.depth > 0, q.x >= 0, q.y >= 0, i < W, j < H else { return (0, 0, 0) }
            let d = view.depth[j * W + i]
            guard d > 0, interior[j * W + i] else { return (0, q.x, q.y) }
            let behind = Float(q.depth) - d
            guard behind > -inFront, behind < behindLimit else { return (0, q.x, q.y) }
            let angle = min(1, (facing - grazingCosine) / (fullCosine - grazingCosine))
            // Full weight from the expected depth to a sample short of the window's front, falling
            // to 0 over the last sample at either end.
            let depthWeight = behind > 0 ? 1 - behind / behindLimit : min(1, (behind + inFront) / delta)
            return (angle * max(0, min(1, depthWeight)), q.x, q.y)
        }
        /// The photo's colour at (x, y) in the render's terms (exposure undone), linear light.
        let pixels = MeshRender.Texture(pixels: photo.image.pixels, width: W, height: H)
        func photoColour(_ x: Double, _ y: Double) -> SIMD3<Float> {
            let c = pixels.sample(SIMD2(Float(x / Double(W)), Float(y / Double(H))))
            let render = (c - photo.bias) / pointwiseMax(photo.gain, SIMD3(repeating: 0.05))
            return SIMD3(linear(render.x), linear(render.y), linear(render.z))
        }

        // Which texels (or their mirrors) the photo saw, and where.
        var direct = [(Int, Float, Double, Double)](), mirrored = [(Int, Float, Double, Double)]()
        for k in 0..<N {
            let p = bake.points[k], n = bake.normals[k]
            let s = seen(p, n)
            if s.weight > 0 { direct.append((k, s.weight, s.x, s.y)) }
            if s.weight < 1 {
                let m = seen(p * SIMD3(1, -1, 1), n * SIMD3(1, -1, 1))
                if m.weight > 0 { mirrored.append((k, min(m.weight, 1 - s.weight), m.x, m.y)) }
            }
        }
        // The field's own colour at those points from the photo's camera, under its light.
        let state = field.state(of: code)
        func fieldColours(_ list: [(Int, Float, Double, Double)], mirror: Bool) -> [SIMD3<Float>] {
            let flip = mirror ? SIMD3<Float>(1, -1, 1) : SIMD3<Float>(1, 1, 1)
            let points = list.map { (bake.points[$0.0] - 0.5 * spacing * bake.normals[$0.0]) * flip }
            let towards = points.map { p -> SIMD3<Float> in
                let d = eye - p
                return d / max((d * d).sum().squareRoot(), 1e-9)
            }
            return MeshExtraction.query(
                field: field, state: state, points: points, towards: towards, light: photo.light
            )
            .rgb
        }
        var ratio = [SIMD3<Float>](repeating: .one, count: N)
        // Baked light: the photo's own colour (linear), blended by weight with the texel's.
        var taken = [SIMD3<Float>](repeating: .zero, count: N), takenWeight = [Float](repeating: 0, count: N)
        var confidence = [Float](repeating: 0, count: S * S * 3)
        for k in 0..<N { confidence[3 * bake.index[k] + 2] = 1 }
        var seenCount = 0, mirroredCount = 0
        for (list, slot, mirror) in [(direct, 0, false), (mirrored, 1, true)] {
            let colours = fieldColours(list, mirror: mirror)
            for (m, (k, w, x, y)) in list.enumerated() {
                let c = colours[m], seenColour = photoColour(x, y)
                let f = SIMD3(linear(c.x), linear(c.y), linear(c.z))
                let r = pointwiseMin(
                    pointwiseMax(
                        seenColour / pointwiseMax(f, SIMD3(repeating: ratioEpsilon)), SIMD3(repeating: 1 / maxRatio)),
                    SIMD3(repeating: maxRatio))
                ratio[k] += w * (r - 1)
                taken[k] += w * seenColour
                takenWeight[k] += w
                let t = 3 * bake.index[k]
                confidence[t + slot] = w
                confidence[t + 2] -= w
                if w >= 0.5 {
                    if mirror { mirroredCount += 1 } else { seenCount += 1 }
                }
            }
        }
        var image = bake.image
        for k in 0..<N {
            let t = 4 * bake.index[k]
            for c in 0..<3 {
                let texel = linear(image.pixels[t + c])
                var v = bakedLight ? texel * (1 - takenWeight[k]) + taken[k][c] : texel * ratio[k][c]
                v = srgb(v)
                if exposure { v = photo.gain[c] * v + photo.bias[c] }
                image.pixels[t + c] = min(1, max(0, v))
            }
        }
        TextureBake.dilate(&image, filled: bake.covered, rings: TextureBake.dilationRings)
        return Result(
            image: image, confidence: confidence, seenTexels: seenCount, mirroredTexels: mirroredCount,
            photoPixels: photoPixels)
    }
}
