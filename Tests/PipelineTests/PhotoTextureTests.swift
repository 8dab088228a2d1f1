import Datasets
import Geometry
import Imaging
import Model
import XCTest

/// The photo's own detail on a texture: a red patch painted on the seen door of a photo lands on
/// that door's texels and, through the mirror, on the hidden door's; nowhere else turns red.
final class PhotoTextureTests: XCTestCase {
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    func testASeenDoorPaintsTheHiddenOne() throws {
        let (model, _) = try NeRFModel.load(repoRoot + "/models/cars.nvm")
        let code = model.meanCode
        // The camera on the car's +y side (azimuth 90°), a little above it.
        let camera = Rig.camera(azimuth: 90, elevation: 10, width: 128, height: 128)
        let renderer = FieldRenderer(field: model.field, code: code)
        var photo = renderer.render(camera: camera).image
        // A red patch on the door: the middle of the side, where the object is.
        let patch = (x: 56..<72, y: 60..<70)
        var painted = 0
        for y in patch.y {
            for x in patch.x where photo.pixels[4 * (y * 128 + x) + 3] > 0.99 {
                let k = 4 * (y * 128 + x)
                (photo.pixels[k], photo.pixels[k + 1], photo.pixels[k + 2]) = (0.9, 0.05, 0.05)
                painted += 1
            }
        }
        XCTAssertGreaterThan(painted, 100, "the patch lies on the car")
        var settings = MeshSettings()
        settings.resolution = 96
        settings.maxTriangles = 20000
        let mesh = MeshExtraction.extract(field: model.field, code: code, settings: settings)
        let atlas = UVAtlas.build(mesh, size: 512)
        let spacing = settings.spacing(for: model.field.spec)
        let bake = TextureBake.bake(
            mesh: atlas.mesh, field: model.field, code: code, size: 512, inset: 0.5 * spacing, bakedLight: true)
        func isRed(_ image: RGBAImage, _ k: Int) -> Bool {
            image.pixels[4 * k] > 0.6 && image.pixels[4 * k + 1] < 0.3 && image.pixels[4 * k + 2] < 0.3
        }
        XCTAssertEqual(bake.index.filter { isRed(bake.image, $0) }.count, 0, "the model's own colour has no red")
        let result = PhotoTexture.apply(
            bake, field: model.field, code: code,
            photo: .init(image: photo, camera: camera, light: .canonical, gain: .one, bias: .zero), spacing: spacing,
            bakedLight: true)
        var seenSide = 0, hiddenSide = 0, elsewhere = 0
        for (n, k) in bake.index.enumerated() where isRed(result.image, k) {
            let p = bake.points[n]
            // A red texel's point, or its mirror, projects into the patch.
            let q = camera.project(SIMD3(Double(p.x), Double(abs(p.y)), Double(p.z)))
            let inPatch = patch.x.contains(Int(q.x)) && patch.y.contains(Int(q.y))
            if !inPatch {
                elsewhere += 1
            } else if p.y > 0 {
                seenSide += 1
            } else {
                hiddenSide += 1
            }
        }
        XCTAssertGreaterThan(seenSide, 200)
        XCTAssertGreaterThan(hiddenSide, seenSide / 2, "the hidden door takes the seen one's patch")
        XCTAssertLessThan(elsewhere, (seenSide + hiddenSide) / 20, "red only where the patch is")
        // The confidence says which is which: the seen door seen, the hidden one mirrored.
        let seenConfidence = bake.index.enumerated().filter {
            isRed(result.image, $0.element) && bake.points[$0.offset].y > 0
        }
        .map { result.confidence[3 * $0.element] }
        let hiddenConfidence = bake.index.enumerated().filter {
            isRed(result.image, $0.element) && bake.points[$0.offset].y < 0
        }
        .map { result.confidence[3 * $0.element + 1] }
        XCTAssertGreaterThan(seenConfidence.reduce(0, +) / Float(max(seenConfidence.count, 1)), 0.8)
        XCTAssertGreaterThan(hiddenConfidence.reduce(0, +) / Float(max(hiddenConfidence.count, 1)), 0.8)
    }
}
