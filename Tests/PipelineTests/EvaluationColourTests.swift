import Datasets
import Foundation
import Imaging
import Scenes
import XCTest

@testable import Pipeline

/// The paint families and light errors `eval` reports.
final class EvaluationColourTests: XCTestCase {
    /// Each palette colour of `scenes/cars.json`, with the ±10% tint the generator can put on it,
    /// falls in its family: greys stay greys even when the tint gives them a hue (beige, between
    /// the two, is left out).
    func testPaintFamiliesOfThePalette() {
        let cases: [([Double], PaintFamily)] = [
            ([25, 25, 28], .black), ([95, 98, 104], .grey), ([170, 172, 178], .grey), ([235, 235, 235], .white),
            ([20, 30, 70], .darkBlue), ([25, 60, 150], .darkBlue), ([180, 20, 25], .saturated),
            ([235, 190, 30], .saturated), ([20, 120, 130], .saturated),
        ]
        for (srgb, family) in cases {
            for tint in [[1.0, 1.0, 1.0], [1.1, 0.9, 1.0], [0.9, 1.0, 1.1], [1.0, 1.1, 0.9], [0.9, 0.9, 1.1]] {
                let linear = (0..<3).map {
                    Double(ColorSpace.srgbToLinear(Float(min(1, srgb[$0] / 255 * tint[$0]))))
                }
                let (luminance, hue) = ObjectAttributes.brightnessAndHue(linear[0], linear[1], linear[2])
                var attributes = [
                    "brightness": luminance,
                    "saturation": ObjectAttributes.saturation(linear[0], linear[1], linear[2]),
                ]
                attributes["hue"] = hue
                XCTAssertEqual(PaintFamily(attributes: attributes), family, "\(srgb) tinted \(tint)")
            }
        }
        XCTAssertNil(PaintFamily(attributes: ["brightness": 0.2]), "no saturation recorded: no family")
    }

    /// `eval --paint`'s list: the families' names, spaces around commas allowed; an unknown name
    /// is an error that lists the families.
    func testPaintFamilyList() throws {
        XCTAssertEqual(try PaintFamily.parse("black, grey,dark blue"), [.black, .grey, .darkBlue])
        XCTAssertThrowsError(try PaintFamily.parse("black,navy")) { error in
            XCTAssertTrue("\(error)".contains("'navy'") && "\(error)".contains("dark blue"), "\(error)")
        }
    }

    /// Intensities compare as the means of their colours, directions by angle.
    func testLightError() {
        let truth = ViewLight.canonical
        var found = truth
        found.key = SIMD3(0.1, 0.12, 0.11)
        found.sky = SIMD3(repeating: 0.45)
        found.direction = SIMD3(0, 0, 1)
        let e = LightError(found: found, truth: truth)
        XCTAssertEqual(e.key, 0.65 - 0.11, accuracy: 1e-6)
        XCTAssertEqual(e.sky, 0.1, accuracy: 1e-6)
        XCTAssertEqual(e.foundKey, 0.11, accuracy: 1e-6)
        let cosine = Double(truth.direction.z)
        XCTAssertEqual(e.angle, acos(cosine) * 180 / .pi, accuracy: 1e-4)
        XCTAssertEqual(LightError(found: truth, truth: truth).angle, 0, accuracy: 0.05)
        let m = LightError.mean([e, LightError(found: truth, truth: truth)])!
        XCTAssertEqual(m.key, e.key / 2, accuracy: 1e-9)
        XCTAssertNil(LightError.mean([]))
    }
}
