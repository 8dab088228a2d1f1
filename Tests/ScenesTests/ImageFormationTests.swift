import Foundation
import Geometry
import Imaging
import NeuralCore
import XCTest

@testable import Scenes

/// Shadows darken what the key light cannot reach, highlights follow the camera, occlusion
/// darkens creases, and black-body colours run warm to cool.
final class ImageFormationTests: XCTestCase {
    let rig = RigSpec(
        distance: 3, fovDegrees: 40, azimuthRange: Span(0, 360), elevationRange: Span(5, 45),
        lightDirection: [0, 0, 1],
        ambient: 0.3, diffuse: 0.7, background: [1, 1, 1])

    /// A grey slab (top face at z = -0.3) with a box floating above its middle; light from straight above.
    func slabAndBox() -> SceneObject {
        SceneObject(
            primitives: [
                SDFPrimitive(
                    .roundBox(half: Vec3(0.9, 0.9, 0.05), radius: 0.01), frame: Frame(center: Vec3(0, 0, -0.35)),
                    material: 0),
                SDFPrimitive(
                    .roundBox(half: Vec3(0.2, 0.2, 0.2), radius: 0.01), frame: Frame(center: Vec3(0, 0, 0.3)),
                    material: 0),
            ],
            materials: [Material(albedo: Vec3(0.5, 0.5, 0.5))])
    }

    func renderer(_ object: SceneObject, _ configure: (inout ImageFormation) -> Void) -> GroundTruthRenderer {
        var s = ShadingSettings(rig: rig, supersample: 1)
        configure(&s.formation)
        return GroundTruthRenderer(object: object, shading: s)
    }

    func testShadowedPointIsDarkerThanTheSamePointUnshadowed() {
        let candidates = UnsafeMutablePointer<(Int32, Float)>.allocate(capacity: 2)
        defer { candidates.deallocate() }
        let under = Vec3(0, 0, -0.3), open = Vec3(0.7, 0.7, -0.3), up = Vec3(0, 0, 1), view = Vec3(0, 0, 1)
        let lit = renderer(slabAndBox()) { _ in }
        let shadowed = renderer(slabAndBox()) { $0.shadows = true }
        let a = lit.shade(under, normal: up, view: view, primitive: 0, candidates: candidates)
        let b = shadowed.shade(under, normal: up, view: view, primitive: 0, candidates: candidates)
        XCTAssertLessThan(b.x, a.x * 0.6, "the box's shadow falls on the slab below it")
        // Out in the open the slab is lit alike; in shadow only the ambient light remains.
        XCTAssertEqual(
            shadowed.shade(open, normal: up, view: view, primitive: 0, candidates: candidates).x,
            lit.shade(open, normal: up, view: view, primitive: 0, candidates: candidates).x, accuracy: 1e-4)
        XCTAssertEqual(b.x, 0.5 * 0.3, accuracy: 0.02)
        // And in a rendered view from above, the slab's middle darkens around the box.
        let cam = Rig.camera(azimuth: 0, elevation: 60, width: 48, height: 48)
        let plain = lit.render(camera: cam).image, shaded = shadowed.render(camera: cam).image
        var darker = 0
        for k in 0..<(48 * 48) where shaded.pixels[4 * k] < plain.pixels[4 * k] - 0.05 { darker += 1 }
        XCTAssertGreaterThan(darker, 20)
    }

    func testSpecularHighlightMovesWithTheCamera() {
        let candidates = UnsafeMutablePointer<(Int32, Float)>.allocate(capacity: 1)
        defer { candidates.deallocate() }
        let sphere = SceneObject(
            primitives: [SDFPrimitive(.sphere(radius: 0.5), frame: Frame(center: .zero), material: 0)],
            materials: [Material(albedo: Vec3(0.2, 0.2, 0.2), specular: 0.5, roughness: 0.3)])
        let glossy = renderer(sphere) { $0.specular = true }, matte = renderer(sphere) { _ in }
        // A point whose normal leans 30° from the light: bright only where the camera sees the mirror direction.
        let n = normalize(Vec3(0.5, 0, 0.866)), p = n * 0.5, L = Vec3(0, 0, 1)
        let mirror = normalize(2 * dot(n, L) * n - L), elsewhere = normalize(Vec3(-0.3, 0.4, 0.866))
        let atMirror = glossy.shade(p, normal: n, view: mirror, primitive: 0, candidates: candidates)
        let away = glossy.shade(p, normal: n, view: elsewhere, primitive: 0, candidates: candidates)
        XCTAssertGreaterThan(atMirror.x, 3 * away.x, "the highlight is where the view meets the mirror direction")
        // Lambertian shading does not depend on the view.
        XCTAssertEqual(
            matte.shade(p, normal: n, view: mirror, primitive: 0, candidates: candidates),
            matte.shade(p, normal: n, view: elsewhere, primitive: 0, candidates: candidates))
        // Rotating the camera about the vertical light axis keeps the (symmetric) image, but raising it moves the highlight.
        let low = glossy.render(camera: Rig.camera(azimuth: 0, elevation: 10, width: 64, height: 64)).image
        let high = glossy.render(camera: Rig.camera(azimuth: 0, elevation: 60, width: 64, height: 64)).image
        func peakRow(_ img: RGBAImage) -> Int {
            var best = (y: 0, v: Float(-1))
            for y in 0..<64 {
                for x in 0..<64 where img[x, y, 3] > 0.99 && img[x, y, 0] > best.v { best = (y, img[x, y, 0]) }
            }
            return best.y
        }
        XCTAssertGreaterThan(
            peakRow(high), peakRow(low) + 3, "seen from higher up, the highlight sits lower in the disc")
    }

    func testAmbientOcclusionDarkensCreases() {
        // A wall standing on the slab: the floor in the corner is enclosed, out in the open it is not.
        var object = slabAndBox()
        object.primitives.append(
            SDFPrimitive(
                .roundBox(half: Vec3(0.05, 0.9, 0.4), radius: 0.005), frame: Frame(center: Vec3(0.5, 0, 0.1)),
                material: 0))
        let r = renderer(object) { $0.ambientOcclusion = true }
        let open = r.occlusion(Vec3(-0.8, 0.8, -0.3), Vec3(0, 0, 1))
        let crease = r.occlusion(Vec3(0.44, 0, -0.3), Vec3(0, 0, 1))
        XCTAssertEqual(open, 1, accuracy: 1e-3)
        XCTAssertLessThan(crease, open - 0.1)
    }

    func testBlackBodyColours() {
        let warm = ColourTemperature.linearRGB(kelvin: 4000), white = ColourTemperature.linearRGB(kelvin: 6504)
        let cool = ColourTemperature.linearRGB(kelvin: 7500)
        XCTAssertEqual(white.x, 1, accuracy: 1e-6)
        XCTAssertEqual(white.z, 1, accuracy: 1e-6)
        XCTAssertGreaterThan(warm.x / warm.z, 1.3, "4000 K is orange")
        XCTAssertLessThan(cool.x / cool.z, 0.95, "7500 K is bluish")
        // Chromaticity on the Planckian locus: 5000 K is about (0.3451, 0.3516).
        let c = ColourTemperature.chromaticity(kelvin: 5000)
        XCTAssertEqual(c.x, 0.3451, accuracy: 0.002)
        XCTAssertEqual(c.y, 0.3516, accuracy: 0.002)
    }

    func testRandomLightingStaysInItsRanges() {
        var rng = SplitMix64(seed: 4)
        let ranges = LightingRanges()
        for _ in 0..<200 {
            let l = Lighting.random(ranges, rng: &rng)
            XCTAssertTrue((20...80).contains(l.keyElevation) && (0..<360).contains(l.keyAzimuth))
            XCTAssertEqual(asin(l.keyDirection[2]) * 180 / .pi, l.keyElevation, accuracy: 1e-3)
            XCTAssertTrue((4000...7500).contains(l.temperature) && (0.8...1.25).contains(l.exposure))
        }
    }

    /// Door gaps darken the sides where they run, stripes recolour the upward faces, and glass wins over both.
    func testPaintMarkings() {
        var m = Material(albedo: Vec3(0.6, 0.1, 0.1))
        var paint = Material.Paint()
        paint.doorLines = [0.2]
        paint.lineZ = 0...0.5
        paint.stripeHalfWidth = 0.1
        paint.stripeAlbedo = Vec3(0.9, 0.9, 0.9)
        m.paint = paint
        let side = Vec3(0, 1, 0), up = Vec3(0, 0, 1)
        XCTAssertEqual(m.surface(at: Vec3(0.2, 0.8, 0.3), normal: side).albedo, m.albedo * Material.gapShade)
        XCTAssertEqual(m.surface(at: Vec3(0.5, 0.8, 0.3), normal: side).albedo, m.albedo, "away from the gap")
        XCTAssertEqual(m.surface(at: Vec3(0.2, 0.8, 0.9), normal: side).albedo, m.albedo, "above the gap's band")
        XCTAssertEqual(m.surface(at: Vec3(0.5, 0.05, 0.6), normal: up).albedo, Vec3(0.9, 0.9, 0.9))
        XCTAssertEqual(m.surface(at: Vec3(0.5, 0.3, 0.6), normal: up).albedo, m.albedo, "outside the stripe")
        // Cars with the markings render them: some pixels of the painted cars differ from the same cars unpainted.
        let spec = try! SceneSpec.load(repoRoot + "/scenes/cars.json")
        var marked = 0
        for i in 0..<12 {
            let car = spec.makeObject(seed: 5, index: i).object
            guard car.materials.contains(where: { $0.paint != nil }) else { continue }
            var plain = car
            for k in plain.materials.indices { plain.materials[k].paint = nil }
            let s = ShadingSettings(rig: spec.rig, supersample: 1),
                cam = Rig.camera(azimuth: 90, elevation: 15, width: 64, height: 64)
            let a = GroundTruthRenderer(object: car, shading: s).render(camera: cam).image
            let b = GroundTruthRenderer(object: plain, shading: s).render(camera: cam).image
            if a.pixels != b.pixels { marked += 1 }
        }
        XCTAssertGreaterThan(marked, 3)
    }
}
