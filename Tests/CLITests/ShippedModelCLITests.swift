import Foundation
import Imaging
import XCTest

/// The shipped third-generation model (`models/cars.nvm`): a held-out photo inverts at the model's
/// 128 pixels with its pose found, and the latent renders at 256 pixels. (The other CLI tests run on
/// `models/cars_gen1.nvm`, which inverts in a fraction of the time.)
final class ShippedModelCLITests: CLITestCase {
    func testShippedModelInvertsAndRendersAt256() throws {
        let model = repoRoot + "/models/cars.nvm"
        let json = try ok([
            "invert", repoRoot + "/scenes/photos/car_256.png", "--model", model, "--out", dir + "/car.latent", "--json",
        ]).stdout
        let result = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        // The photo is view 0 of the test protocol: azimuth 35°, elevation 20°.
        XCTAssertEqual(result["azimuth"] as! Double, 35, accuracy: 3, json)
        XCTAssertEqual(result["elevation"] as! Double, 20, accuracy: 3, json)
        XCTAssertGreaterThan(result["input_psnr_db"] as! Double, 28, json)
        _ = try ok([
            "render", "--model", model, "--latent", dir + "/car.latent", "--azimuth", "200", "--elevation", "25",
            "--size", "256", "--out", dir + "/back.png", "--quiet",
        ])
        let (back, _) = try PNG.read(dir + "/back.png")
        XCTAssertEqual([back.width, back.height], [256, 256])
        var object = 0
        for k in 0..<(256 * 256) where back.pixels[4 * k] < 0.8 || back.pixels[4 * k + 2] < 0.8 { object += 1 }
        XCTAssertGreaterThan(object, 256 * 256 / 20, "the car fills part of the frame from behind")
    }
}
