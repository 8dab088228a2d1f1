import FileIO
import Foundation
import NeuralCore

/// An independent, minimal PNG encoder for test fixtures: any colour type, bit depth and Adam7
/// interlacing, stored (uncompressed) deflate blocks, and freely forged headers for hostile files.
/// It shares no code with libpng, so round trips through it test the reader for real.
public struct PNGFixture {
    public var width: Int
    public var height: Int
    public var colorType: UInt8  // 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    public var bitDepth: UInt8
    public var interlace = false
    public var palette: [(UInt8, UInt8, UInt8)] = []
    public var transparency: [UInt8]? = nil  // tRNS payload as raw bytes
    /// Samples per pixel in row-major order, each already at bitDepth precision.
    public var samples: [UInt16]

    public init(
        width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, interlace: Bool = false,
        palette: [(UInt8, UInt8, UInt8)] = [], transparency: [UInt8]? = nil, samples: [UInt16]
    ) {
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.interlace = interlace
        self.palette = palette
        self.transparency = transparency
        self.samples = samples
    }

    public var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(colorType)]! }

    public static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        var out = be32(UInt32(body.count))
        let typed = Array(type.utf8) + body
        out += typed
        out += be32(typed.withUnsafeBytes { CRC32.checksum($0) })
        return out
    }

    public static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    public static func ihdr(width: UInt32, height: UInt32, bitDepth: UInt8, colorType: UInt8, interlace: Bool)
        -> [UInt8]
    {
        chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, interlace ? 1 : 0])
    }

    public static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// zlib stream of stored blocks.
    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let final: UInt8 = i + n >= data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32((b << 16) | a)
    }

    /// Filter-type-0 scanlines for the pixels (x0 + k dx, y0 + j dy).
    public func scanlines(x0: Int, y0: Int, dx: Int, dy: Int) -> [UInt8] {
        var out: [UInt8] = []
        var y = y0
        while y < height {
            out.append(0)
            var bits: [UInt16] = []
            var x = x0
            while x < width {
                for c in 0..<channels { bits.append(samples[(y * width + x) * channels + c]) }
                x += dx
            }
            if bitDepth == 16 {
                for s in bits { out += [UInt8(s >> 8), UInt8(s & 0xFF)] }
            } else if bitDepth == 8 {
                out += bits.map { UInt8($0) }
            } else {
                var acc = 0, used = 0
                for s in bits {
                    acc = (acc << Int(bitDepth)) | Int(s)
                    used += Int(bitDepth)
                    if used == 8 {
                        out.append(UInt8(acc))
                        acc = 0
                        used = 0
                    }
                }
                if used > 0 { out.append(UInt8(acc << (8 - used))) }
            }
            y += dy
        }
        return out
    }

    public func encode() -> [UInt8] {
        var raw: [UInt8] = []
        if interlace {
            let passes = [
                (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
            ]
            for (x0, y0, dx, dy) in passes where x0 < width && y0 < height {
                raw += scanlines(x0: x0, y0: y0, dx: dx, dy: dy)
            }
        } else {
            raw = scanlines(x0: 0, y0: 0, dx: 1, dy: 1)
        }
        var out =
            Self.signature
            + Self.ihdr(
                width: UInt32(width), height: UInt32(height), bitDepth: bitDepth, colorType: colorType,
                interlace: interlace)
        if colorType == 3 { out += Self.chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }) }
        if let transparency { out += Self.chunk("tRNS", transparency) }
        out += Self.chunk("IDAT", Self.zlibStored(raw))
        out += Self.chunk("IEND", [])
        return out
    }

    /// A header-only PNG declaring any size, with one tiny deflate stream of zeros as IDAT.
    public static func forged(width: UInt32, height: UInt32) -> [UInt8] {
        signature + ihdr(width: width, height: height, bitDepth: 8, colorType: 2, interlace: false)
            + chunk("IDAT", zlibStored([UInt8](repeating: 0, count: 64))) + chunk("IEND", [])
    }
}
