import CShims
import FileIO
import Foundation

/// PNG reading and writing through libpng. Every libpng failure is a thrown `FileError` naming the file.
public enum PNG {
    /// 50 megapixels: far above any input nerfinv works on, low enough that a hostile header cannot
    /// make it allocate gigabytes.
    public static let defaultMaxPixels = 50_000_000

    /// What the file itself stores.
    public struct Info: Sendable, Equatable {
        public var width, height, bitDepth, colorType: Int
        public var interlaced, hasAlpha: Bool
        init(_ i: nv_png_info) {
            width = Int(i.width)
            height = Int(i.height)
            bitDepth = Int(i.bit_depth)
            colorType = Int(i.color_type)
            interlaced = i.interlaced != 0
            hasAlpha = i.has_alpha != 0
        }
    }

    private static func message(_ buf: [CChar]) -> String {
        buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Decodes any PNG colour type and depth (gray, gray+alpha, palette, RGB, RGBA; 1-16 bit;
    /// interlaced) into float RGBA. Images above `maxPixels` are refused before decoding.
    public static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> (image: RGBAImage, info: Info)
    {
        // The header first: the float image is allocated here, once, at the size it states (the
        // decoder writes straight into it, a row at a time).
        let header = try info(path)
        guard header.width > 0, header.height > 0, header.width * header.height <= maxPixels else {
            throw FileError(
                path: path,
                reason: String(
                    format: "image is %dx%d (%.1f megapixels), above the limit of %.1f megapixels", header.width,
                    header.height, Double(header.width * header.height) / 1e6, Double(maxPixels) / 1e6))
        }
        let n = header.width * header.height * 4
        var err = [CChar](repeating: 0, count: 512)
        var raw = nv_png_info()
        var rc: Int32 = 0
        let pixels = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            rc = nv_png_read_into(path, Int64(maxPixels), buffer.baseAddress, Int64(n), &raw, &err, Int32(err.count))
            // On failure the buffer's contents do not matter: it is dropped below.
            if rc != 0 { buffer.baseAddress!.initialize(repeating: 0, count: n) }
            count = n
        }
        guard rc == 0 else { throw FileError(path: path, reason: message(err)) }
        guard Int(raw.width) == header.width, Int(raw.height) == header.height else {
            throw FileError(path: path, reason: "the image changed while it was read")
        }
        return (RGBAImage(width: header.width, height: header.height, pixels: pixels), Info(raw))
    }

    /// Reads only the header.
    public static func info(_ path: String) throws -> Info {
        var err = [CChar](repeating: 0, count: 512)
        var info = nv_png_info()
        guard nv_png_read_info(path, &info, &err, Int32(err.count)) == 0 else {
            throw FileError(path: path, reason: message(err))
        }
        return Info(info)
    }

    /// Quantises [0, 1] to 8 bits with rounding; NaN becomes 0.
    @inline(__always)
    public static func byte(_ v: Float) -> UInt8 {
        guard v.isFinite else { return 0 }
        return UInt8(min(max(v, 0), 1) * 255 + 0.5)
    }

    /// Writes 8-bit RGB (alpha dropped) or RGBA, atomically.
    public static func write(_ image: RGBAImage, to path: String, alpha: Bool = false) throws {
        let ch = alpha ? 4 : 3
        var bytes = [UInt8](repeating: 0, count: image.width * image.height * ch)
        for i in 0..<(image.width * image.height) {
            for c in 0..<ch { bytes[i * ch + c] = byte(image.pixels[i * 4 + c]) }
        }
        try writeRaw(bytes, width: image.width, height: image.height, channels: ch, bitDepth: 8, to: path)
    }

    /// The image as PNG bytes in memory (8-bit RGB, or RGBA with `alpha`): frames served over HTTP.
    public static func encode(_ image: RGBAImage, alpha: Bool = false) throws -> Data {
        let ch = alpha ? 4 : 3
        var bytes = [UInt8](repeating: 0, count: image.width * image.height * ch)
        for i in 0..<(image.width * image.height) {
            for c in 0..<ch { bytes[i * ch + c] = byte(image.pixels[i * 4 + c]) }
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var err = [CChar](repeating: 0, count: 512)
        let rc = bytes.withUnsafeBytes { raw in
            nv_png_encode(
                raw.baseAddress, Int32(image.width), Int32(image.height), Int32(ch), &out, &length, &err,
                Int32(err.count))
        }
        guard rc == 0, let out else { throw FileError(path: "(PNG in memory)", reason: String(cString: err)) }
        defer { nv_free(out) }
        return Data(bytes: out, count: length)
    }

    /// Writes a 16-bit grayscale PNG (e.g. depth maps, camera-z x 10000), atomically.
    public static func writeGray16(_ values: [UInt16], width: Int, height: Int, to path: String) throws {
        precondition(values.count == width * height, "writeGray16: \(values.count) values for \(width)x\(height)")
        try writeRaw(values, width: width, height: height, channels: 1, bitDepth: 16, to: path)
    }

    /// Writes 8-bit gray (1), RGB (3) or RGBA (4) bytes, atomically.
    public static func writeBytes(_ bytes: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
        precondition(bytes.count == width * height * channels, "writeBytes: size mismatch")
        try writeRaw(bytes, width: width, height: height, channels: channels, bitDepth: 8, to: path)
    }

    private static func writeRaw<T>(
        _ buffer: [T], width: Int, height: Int, channels: Int, bitDepth: Int, to path: String
    ) throws {
        try AtomicFile.write(to: path) { tmp in
            var err = [CChar](repeating: 0, count: 512)
            errno = 0
            let rc = buffer.withUnsafeBytes { raw in
                nv_png_write(
                    tmp, raw.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(bitDepth), &err,
                    Int32(err.count))
            }
            // libpng says only "Write Error"; the system's errno says why (a full disk, a quota).
            let code = errno
            guard rc == 0 else {
                let reason = [ENOSPC, EDQUOT, EIO, EROFS].contains(code) ? FileErrors.systemReason(code) : message(err)
                throw FileError(path: path, reason: reason)
            }
        }
    }
}
