import FileIO
import Foundation
import Imaging
import Model

/// Photos dropped on the viewer's page. Each is checked (size, PNG signature, pixel count), written
/// to the viewer's own private folder, inverted at once with `--fast` (the encoders alone) and
/// shown; a quick refinement, then the default inversion, run behind and replace it in turn. One
/// photo at a time: a second drop while one is being inverted or refined is refused.
final class ViewerUploads: @unchecked Sendable {
    /// Bytes a dropped file may have: a 4096x4096 RGBA PNG, stored, is about 64 MB; the photos the
    /// model takes are a few hundred kB. Larger bodies are refused before they are read.
    static let maxBytes = 16 << 20
    /// Pixels a dropped PNG may decode to (refused from its header, before decoding).
    static let maxPixels = 4096 * 4096
    /// Dropped photos one viewer keeps (each adds a latent to the page's list).
    static let maxPhotos = 32
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    let inversion: InversionSession
    /// The viewer's private folder (mode 0700) for the photos and their latents; removed with it.
    let folder: String
    let lock = NSLock()
    var count = 0
    var busy = false

    init(model: NeRFModel, matting: MattingNetwork?) throws {
        inversion = InversionSession(model: model, matting: matting)
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-view-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    deinit { remove() }

    /// Removes the folder and what it holds.
    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// Why a dropped file is refused: the HTTP status and what the page tells the user.
    struct Refusal: Error, CustomStringConvertible {
        var status: Int
        var description: String
    }

    /// Claims the one inversion slot and a photo number for `body`, or says why not.
    func claim(_ body: Data, name: String) throws -> Int {
        guard body.count <= Self.maxBytes else {
            throw Refusal(status: 413, description: "\(name) is \(body.count >> 20) MB; photos up to 16 MB are taken")
        }
        guard body.count > 8, Array(body.prefix(8)) == Self.pngSignature else {
            throw Refusal(status: 415, description: "\(name) is not a PNG (save the photo as PNG and drop it again)")
        }
        lock.lock()
        defer { lock.unlock() }
        guard !busy else {
            throw Refusal(status: 429, description: "another photo is being inverted; drop this one when it is done")
        }
        guard count < Self.maxPhotos else {
            throw Refusal(
                status: 409, description: "this viewer holds \(Self.maxPhotos) dropped photos; restart it for more")
        }
        busy = true
        count += 1
        return count
    }

    /// Frees the inversion slot (after the refined inversion, or a failure).
    func release() {
        lock.lock()
        busy = false
        lock.unlock()
    }

    /// The stages of a dropped photo: each replaces the one before on the page.
    enum Stage: String, CaseIterable {
        /// The encoders alone (`--fast`; the one-shot encoder without an iterative one).
        case fast
        /// Iterations and `quickSteps` steps of the code: a refined frame within a few seconds.
        case quick
        /// The model's default inversion (iterations, refinement, the layered latent).
        case full
    }
    /// Refinement steps of the quick stage (about 1.5 s on two cores).
    static let quickSteps = 50

    /// The photo's file for photo number n, and its latent's path at a stage.
    func photoPath(_ n: Int) -> String { "\(folder)/dropped-\(n).png" }
    func latentPath(_ n: Int, _ stage: Stage) -> String { "\(folder)/dropped-\(n)-\(stage.rawValue).latent" }

    /// Writes the photo (when `body` is given) and inverts it as `stage` says; returns the
    /// latent's path. A photo the inversion refuses (size, content) is a `Refusal` (422).
    func invert(_ n: Int, body: Data?, stage: Stage) throws -> String {
        let photo = photoPath(n)
        if let body {
            do { try body.write(to: URL(fileURLWithPath: photo)) } catch {
                throw Refusal(status: 500, description: "could not keep the photo: \(error.localizedDescription)")
            }
            // The header's size, checked before the inversion decodes anything.
            do {
                let info = try PNG.info(photo)
                guard info.width * info.height <= Self.maxPixels else {
                    throw Refusal(
                        status: 413,
                        description:
                            "the photo is \(info.width)x\(info.height); photos up to 4096x4096 pixels are taken")
                }
            } catch let r as Refusal {
                throw r
            } catch {
                throw Refusal(status: 422, description: plain(error))
            }
        }
        var request = InversionRequest()
        request.fast = stage == .fast && inversion.model.iterativeEncoder != nil
        request.refine = stage != .fast
        if stage == .quick {
            var quick = inversion.model.refineDefaults
            quick.steps = Self.quickSteps
            quick.layers.steps = 0
            request.settings = quick
        }
        let latent = latentPath(n, stage)
        do {
            _ = try inversion.invert(photo: photo, latentPath: latent, request: request)
        } catch {
            throw Refusal(status: 422, description: plain(error))
        }
        return latent
    }

    /// An error as the page shows it: about "the photo", not the viewer's private folder.
    func plain(_ error: Error) -> String {
        var text = "\(error)"
        for n in 0...count { text = text.replacingOccurrences(of: photoPath(n), with: "the photo") }
        return text.replacingOccurrences(of: folder + "/", with: "")
    }
}
