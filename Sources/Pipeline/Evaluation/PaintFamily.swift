import Datasets
import Foundation
import Model

/// The paint family of a generated car, from the generator's recorded paint (`attributes.json`:
/// `brightness`, the linear luminance of the body colour, `saturation` as sRGB stores it, and
/// `hue`): the groups whose far-side colour the evaluation reports, since dark and grey paint is
/// what a prior with a coloured mean code repaints.
public enum PaintFamily: String, CaseIterable, Codable, Sendable {
    case black, grey, white, darkBlue = "dark blue", saturated

    /// sRGB saturation below which a paint is a tinted black, grey or white: the palette's black
    /// and greys reach 0.27 with the ±10% tint, its blues and reds stay above 0.6 (beige, 0.3
    /// untinted, falls on either side).
    static let greySaturation = 0.3
    /// Luminance below which an unsaturated paint is black (`scenes/cars.json`'s black is 0.01,
    /// its dark grey 0.12).
    static let blackLuminance = 0.03
    /// Luminance above which an unsaturated paint is white (light grey 0.41, white 0.83).
    static let whiteLuminance = 0.6
    /// Blue hues, degrees, and the luminance below which such a paint is dark blue (navy 0.015,
    /// blue 0.056; the teal at 185° is not blue).
    static let blueHues = 200.0..<260.0
    static let darkBlueLuminance = 0.1

    /// The family of a paint, or nil without a recorded brightness and saturation.
    public init?(attributes: [String: Double]) {
        guard let luminance = attributes["brightness"], let saturation = attributes["saturation"] else { return nil }
        guard let hue = attributes["hue"], saturation >= Self.greySaturation else {
            self =
                luminance < Self.blackLuminance ? .black : luminance < Self.whiteLuminance ? .grey : .white
            return
        }
        self = Self.blueHues.contains(hue) && luminance < Self.darkBlueLuminance ? .darkBlue : .saturated
    }

    /// Families named in a comma-separated list, or an error naming the unknown one.
    public static func parse(_ list: String) throws -> [PaintFamily] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return try names.map { name in
            guard let f = PaintFamily(rawValue: name) else {
                throw ModelError(
                    "unknown paint family '\(name)'; available: \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return f
        }
    }

    /// The family of the car in an object folder, or nil when the folder records no paint.
    static func of(objectFolder dir: String) throws -> PaintFamily? {
        try AttributeFile.read(objectDir: dir).flatMap { PaintFamily(attributes: $0) }
    }
}
