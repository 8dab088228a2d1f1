import Foundation

/// sRGB transfer functions (IEC 61966-2-1): shading happens in linear light, files hold sRGB.
public enum ColorSpace {
    @inline(__always)
    public static func srgbToLinear(_ c: Float) -> Float {
        c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }

    @inline(__always)
    public static func linearToSRGB(_ c: Float) -> Float {
        let x = min(max(c, 0), 1)
        if x == 1 { return 1 }  // the formula gives 0.99999994 in float; white must stay exactly white
        return x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1 / 2.4) - 0.055
    }
}
