import FileIO
import Foundation

/// MP4 through the `ffmpeg` program, when it is installed (nerfinv does not link a video codec).
public enum Video {
    /// The ffmpeg executable on PATH, or an error saying how to get it.
    public static func ffmpeg() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/ffmpeg"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw FileError(
            path: "ffmpeg",
            reason:
                "--mp4 needs the ffmpeg program, which is not installed (Debian: apt-get install ffmpeg); --gif needs nothing more"
        )
    }

    /// Encodes numbered PNG frames (a printf pattern) as H.264 MP4 (yuv420p, even sides), atomically.
    public static func encode(frames pattern: String, fps: Double, to path: String) throws {
        let exe = try ffmpeg()
        try AtomicFile.write(to: path) { tmp in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = [
                // The frames may be a transaction's temporary files (".frame_000.png.tmp-PID"): the
                // demuxer and the codec are named, since neither follows from that name.
                "-y", "-loglevel", "error", "-f", "image2", "-c:v", "png", "-framerate", String(fps), "-i", pattern,
                "-c:v", "libx264", "-pix_fmt",
                "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-f", "mp4", tmp,
            ]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw FileError(
                    path: path, reason: "ffmpeg failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }
}
