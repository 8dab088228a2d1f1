import Foundation
import Imaging

/// The generator's choices that `edit --attribute` can move along: names and how colour becomes
/// two of them.
public enum ObjectAttributes {
    /// The attributes that are lengths (scaled with the object; box units once it is fitted).
    public static let sizes = ["length", "height", "wheel-size"]

    /// Saturation below which a colour has no hue worth the name (whites, greys, blacks).
    static let minSaturation = 0.15

    /// Rec. 709 luminance of a linear RGB colour, and its hue in degrees (0 red, 120 green, 240
    /// blue), nil when the colour is nearly grey.
    public static func brightnessAndHue(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double?) {
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
        let hi = max(r, g, b), lo = min(r, g, b)
        guard hi > 0, (hi - lo) / hi >= minSaturation else { return (luminance, nil) }
        var h: Double
        if hi == r {
            h = 60 * (g - b) / (hi - lo)
        } else if hi == g {
            h = 60 * (b - r) / (hi - lo) + 120
        } else {
            h = 60 * (r - g) / (hi - lo) + 240
        }
        if h < 0 { h += 360 }
        return (luminance, h)
    }

    /// Saturation (max - min) / max of a linear RGB colour as sRGB stores it: a grey paint's ±10%
    /// tint stays below 0.2 there, while in linear light it can reach 0.4, as much as a pastel's.
    public static func saturation(_ r: Double, _ g: Double, _ b: Double) -> Double {
        let c = [r, g, b].map { Double(ColorSpace.linearToSRGB(Float($0))) }
        let hi = c.max()!, lo = c.min()!
        return hi > 0 ? (hi - lo) / hi : 0
    }
}
