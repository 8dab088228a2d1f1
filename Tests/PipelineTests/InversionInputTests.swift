import FileIO
import Foundation
import Imaging
import Pipeline
import XCTest

/// What `invert` and `eval` share on the way in (the footprint rule, per-photo masks, settings the
/// photos decide) and on the way out (the files of one result).
final class InversionInputTests: XCTestCase {
    func testFootprintAndSettings() {
        XCTAssertEqual(InversionInput.footprint(viewSide: 128, photoSide: 128), 1)
        XCTAssertEqual(InversionInput.footprint(viewSide: 128, photoSide: 100), 1, "under 1.5x: one ray a pixel")
        XCTAssertEqual(InversionInput.footprint(viewSide: 128, photoSide: 64), 4)
        XCTAssertEqual(InversionInput.footprint(viewSide: 128, photoSide: 32), 16)
        XCTAssertEqual(InversionInput.footprint(viewSide: 128, photoSide: 16), 16, "capped")
        let small = RGBAImage(width: 32, height: 32)
        var ignore = [Bool](repeating: false, count: 32 * 32)
        ignore[5] = true
        let input = InversionInput(images: [small, small], ignore: [ignore, nil], viewSide: 128, grayscale: true)
        XCTAssertEqual(input.side, 32)
        XCTAssertTrue(input.masked)
        XCTAssertEqual(input.photos.count, 2)
        XCTAssertEqual(input.photos[0].ignore?[5], true)
        XCTAssertNil(input.photos[1].ignore)
        var base = RefineSettings()
        base.footprint = 1
        let s = input.settings(base)
        XCTAssertEqual(s.footprint, 16)
        XCTAssertTrue(s.grayscale)
        XCTAssertFalse(InversionInput(images: [small], viewSide: 32, grayscale: false).masked)
    }

    func testLatentWriterNamesEveryOutput() {
        var request = InversionRequest()
        request.background = .keep
        var writer = LatentWriter(latentPath: "out/car.latent", request: request)
        // The delta is an output untuned too: a stale one of that name is removed.
        XCTAssertEqual(
            writer.outputs.files,
            ["out/car.latent", "out/car_input.png", "out/car_input_reconstruction.png", "out/car.delta"])
        XCTAssertNil(writer.outputs.folder)
        request.background = .auto
        request.tune = TuneSettings()
        request.turntable = "tt"
        writer = LatentWriter(latentPath: "out/car.latent", request: request)
        XCTAssertEqual(
            writer.outputs.files,
            [
                "out/car.latent", "out/car_input.png", "out/car_input_reconstruction.png", "out/car.delta",
                "out/car_mask.png", "out/car_cutout.png",
            ])
        XCTAssertEqual(writer.outputs.folder, "tt")
    }
}
