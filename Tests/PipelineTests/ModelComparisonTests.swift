import XCTest

@testable import Pipeline

/// Row labels of `nerfinv compare`: file names, with as much of the path as tells photos apart.
final class ModelComparisonTests: XCTestCase {
    func testRowNamesAreFileNamesUnlessTheyCollide() {
        XCTAssertEqual(ModelComparison.rowNames(["a/car_160.png", "b/car_256.png"]), ["car_160", "car_256"])
        // Views 0 of a test set all end in rgb/000000.png: the object folder tells them apart.
        XCTAssertEqual(
            ModelComparison.rowNames(["d/cars-s2-00003/rgb/000000.png", "d/cars-s2-00006/rgb/000000.png", "x.png"]),
            ["cars-s2-00003/rgb/000000", "cars-s2-00006/rgb/000000", "x"])
        // The same photo twice keeps its whole path.
        XCTAssertEqual(ModelComparison.rowNames(["/p/a.png", "/p/a.png"]), ["p/a", "p/a"])
    }
}
