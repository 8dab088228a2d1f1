import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model

// W H frame size.

/// Where the camera of a render or turntable sits on the rig's sphere, and the frame size.
public struct RenderCamera: Sendable {
    var distance: Double = 3
    var fovDegrees: Double = 40
    var size: Int = 128
    public init(distance: Double = 3, fovDegrees: Double = 40, size: Int = 128) {
        self.distance = distance
        self.fovDegrees = fovDegrees
        self.size = size
    }

    public func camera(azimuth: Double, elevation: Double) -> Camera {
        // Reduced first: the rig's trigonometry in radians loses all precision far from 0 (an
        // azimuth of 1e308 degrees rendered white); any finite azimuth means itself mod 360.
        Rig.camera(
            azimuth: azimuth.truncatingRemainder(dividingBy: 360), elevation: elevation, distance: distance,
            fovDegrees: fovDegrees, width: size,
            height: size)
    }

    /// Frame `f` of a turntable of `frames` frames, evenly spaced in azimuth from 0°.
    func turntable(frame f: Int, of frames: Int, elevation: Double) -> Camera {
        camera(azimuth: 360 * Double(f) / Double(frames), elevation: elevation)
    }
}

/// Pictures of a code written to disk: one view with its depth map, or a turntable.
public enum RenderExport {
    /// Camera z of a depth PNG is stored x 10000 in 16 bits: at most 6.5535 units.
    static let maxDepth = 65535.0 / 10000

    /// Refuses a camera whose depths of the [-1, 1]³ box cannot be stored (they would all read 6.55).
    public static func checkDepthRange(camera: RenderCamera, box: Double = 1) throws {
        let far = camera.distance + box * 3.0.squareRoot()
        guard far <= maxDepth else {
            throw FileError(
                path: "--depth",
                reason: String(
                    format:
                        "depth PNGs store camera z x 10000 in 16 bits (up to %.2f units); at --distance %g the object lies up to %.2f units away: use --distance %.2f or less",
                    maxDepth, camera.distance, far, maxDepth - box * 3.0.squareRoot()))
        }
    }

    /// Renders one view to `out` (PNG) and, when given, its depth to `depth` (16-bit PNG, camera z
    /// x 10000, 0 = background).
    public static func view(
        field: any RadianceField, code: [Float], azimuth: Double, elevation: Double, camera: RenderCamera,
        to out: String,
        depth: String? = nil, light: ViewLight = .canonical
    ) throws {
        try MemoryPlan.checkFrames(side: camera.size, what: "a \(camera.size)x\(camera.size) render")
        let renderer = FieldRenderer(field: field, code: code)
        renderer.light = light
        let frame = renderer.render(camera: camera.camera(azimuth: azimuth, elevation: elevation))
        // Both files or neither.
        try AtomicFile.transaction {
            try PNG.write(frame.image.clamped(), to: out)
            if let depth {
                try PNG.writeGray16(
                    frame.depth.map { UInt16(min(65535, max(0, ($0 * 10000).rounded()))) }, width: camera.size,
                    height: camera.size, to: depth)
            }
        }
    }

    /// Side of a turntable contact sheet's tiles (frames larger than this are shrunk for the sheet).
    static let thumbnailSide = 128

    /// Largest side of an animated GIF's frames (larger turntables are shrunk for it).
    static let gifSide = 256
    /// Frames per second of the animations.
    static let animationFPS = 12.0

    /// frame_000.png ... and contact_sheet.png in `folder` (created if missing; other files kept),
    /// evenly spaced in azimuth, plus an animated GIF at `gif` and an MP4 at `mp4` when given (the
    /// MP4 through the ffmpeg program); `progress(done)` after each frame.
    public static func turntable(
        field: any RadianceField, code: [Float], frames: Int, elevation: Double, camera: RenderCamera,
        to folder: String, light: ViewLight = .canonical, gif: String? = nil, mp4: String? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws {
        if mp4 != nil { _ = try Video.ffmpeg() }
        // Frames render one at a time; the sheet's thumbnails and the GIF's frames are kept.
        try MemoryPlan.checkFrames(
            side: camera.size, kept: frames * (gif == nil ? 1 : 2), keptSide: min(camera.size, gifSide),
            what: "a turntable of \(frames) frames at \(camera.size)x\(camera.size)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let renderer = FieldRenderer(field: field, code: code)
        renderer.light = light
        // The sheet is made of thumbnails kept as frames are written: 200 frames at 512² would
        // otherwise hold 800 MB of full frames.
        var thumbnails: [RGBAImage] = [], animation: [RGBAImage] = []
        try AtomicFile.transaction {
            for f in 0..<frames {
                let img = renderer.render(camera: camera.turntable(frame: f, of: frames, elevation: elevation)).image
                    .clamped()
                try PNG.write(img, to: "\(folder)/" + String(format: "frame_%03d.png", f))
                let side = min(img.width, thumbnailSide)
                thumbnails.append(img.width == side ? img : Resample.resize(img, width: side, height: side))
                if gif != nil { animation.append(gifFrame(img)) }
                progress?(f + 1)
            }
            try PNG.write(ContactSheet.make(thumbnails, columns: min(frames, 9)), to: "\(folder)/contact_sheet.png")
            if let gif { try AnimatedGIF.write(animation, delay: 1 / animationFPS, to: gif) }
            // Inside the transaction, from the frames' temporary names: an ffmpeg that fails leaves
            // every earlier output (frames, sheet, GIF) as it was.
            if let mp4 {
                // The frames' temporary names as a printf pattern (a '%' of the folder escaped).
                let escaped = folder.replacingOccurrences(of: "%", with: "%%")
                try Video.encode(
                    frames: AtomicFile.temporaryPath(for: escaped + "/frame_%03d.png"), fps: animationFPS, to: mp4)
            }
        }
    }

    /// A turntable frame as the animation shows it: shrunk to `gifSide` when larger.
    static func gifFrame(_ img: RGBAImage) -> RGBAImage {
        let g = min(img.width, gifSide)
        return img.width == g ? img : Resample.resize(img, width: g, height: g)
    }

    /// A turntable as GIF bytes, nothing written (the viewer's download).
    static func turntableGIF(
        field: any RadianceField, code: [Float], frames: Int, elevation: Double, camera: RenderCamera,
        light: ViewLight = .canonical
    ) throws -> Data {
        let renderer = FieldRenderer(field: field, code: code)
        renderer.light = light
        let animation = (0..<frames).map { f in
            gifFrame(
                renderer.render(camera: camera.turntable(frame: f, of: frames, elevation: elevation)).image.clamped())
        }
        return try AnimatedGIF.encode(animation, delay: 1 / animationFPS)
    }
}
