import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model

// What `nerfinv view` serves, without the server: frames of the latents named on the command
// line, their input pictures, edit directions, meshes and GIFs. P pixels of a frame side.

struct ViewerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The latents and the model behind a viewer. Frames render one at a time (each on both cores);
/// a client with a frame in flight gets no second one until the first is done.
public final class ViewerSession: @unchecked Sendable {
    struct Entry {
        var name: String
        public var scene: LatentScene
        /// The input photo beside its reconstruction, when `invert` wrote one beside the latent.
        var inputSheet: RGBAImage?
        /// Bumped when a dropped photo's refined latent replaces its fast one (frames are cached by it).
        var version = 0
        /// A dropped photo's stage shown ("fast", "quick", "full") or "refine failed: ..." (nil: a
        /// latent given on the command line).
        var state: String? = nil
    }
    public let model: NeRFModel
    /// The latents named on the command line, then the dropped photos' (under `lock`).
    var entries: [Entry]
    /// Finds the object in dropped photos with a background (nil: they are taken as they are).
    let matting: MattingNetwork?
    /// The dropped photos' folder and inversions, made at the first drop.
    var uploads: ViewerUploads?
    let distribution: CodeDistribution?
    let attributes: AttributeDirections?
    /// Principal directions offered as sliders.
    static let principalSliders = 5
    let lock = NSLock()
    let renderLock = TicketLock()
    var busy = Set<String>()
    /// The renderer of the last (latent, edits) drawn: its occupancy grid costs more than a
    /// 128-pixel frame, and a drag changes only the camera.
    var cached: (key: String, renderer: FieldRenderer)?

    /// Loads every latent (and its tuned decoder) for `model`; errors name the file. `matting`
    /// removes the background of dropped photos that have one.
    public init(model: NeRFModel, latents: [String], matting: MattingNetwork? = nil) throws {
        self.model = model
        self.matting = matting
        entries = try latents.map { path in
            let scene = try LatentScene.load(path, model: model)
            return Entry(name: URL(fileURLWithPath: path).lastPathComponent, scene: scene, inputSheet: Self.sheet(path))
        }
        distribution = CodeDistribution(codes: model.codes)
        attributes = model.attributes.flatMap { AttributeDirections(codes: model.codes, table: $0) }
    }

    /// The input | reconstruction picture `invert` wrote beside a latent, if any.
    static func sheet(_ latentPath: String) -> RGBAImage? {
        let stem = latentPath.hasSuffix(".latent") ? String(latentPath.dropLast(7)) : latentPath
        return try? PNG.read(stem + "_input_reconstruction.png").image
    }

    /// Entry i, or an error naming the index.
    func entry(_ i: Int) throws -> Entry {
        lock.lock()
        defer { lock.unlock() }
        guard entries.indices.contains(i) else {
            throw ViewerError("latent \(i) is not one of the \(entries.count) shown")
        }
        return entries[i]
    }

    /// The edit directions a page offers: pc1... and the model's attributes.
    var directions: [String] {
        (distribution == nil ? [] : (1...Self.principalSliders).map { "pc\($0)" }) + (attributes?.names ?? [])
    }

    /// What the page needs to build itself, as JSON.
    func info() throws -> Data {
        lock.lock()
        let shown = entries
        lock.unlock()
        let json: [String: Any] = [
            "latents": shown.map { e -> [String: Any] in
                var l: [String: Any] = ["name": e.name, "input": e.inputSheet != nil, "version": e.version]
                if let state = e.state { l["state"] = state }
                return l
            },
            "drops": model.encoder != nil,
            "directions": directions, "modes": FrameRequest.Mode.allCases.map(\.rawValue),
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// The identity code of a request: the latent's, moved along each edit direction.
    func code(_ r: FrameRequest) throws -> [Float] {
        var code = try entry(r.latent).scene.latent.identity
        for (name, amount) in r.edits.sorted(by: { $0.key < $1.key }) where amount != 0 {
            if name.hasPrefix("pc"), let k = Int(name.dropFirst(2)), let d = distribution,
                (1...Self.principalSliders).contains(k)
            {
                code = d.moved(code, direction: k - 1, amount: amount)
            } else if let a = attributes, let i = a.names.firstIndex(of: name) {
                code = a.moved(code, attribute: i, amount: amount)
            } else {
                throw ViewerError("no edit direction '\(name)'")
            }
        }
        return code
    }

    /// A frame as PNG bytes for `client`; nil while that client already has one in flight.
    func frame(_ r: FrameRequest, client: String) throws -> Data? {
        lock.lock()
        guard busy.insert(client).inserted else {
            lock.unlock()
            return nil
        }
        lock.unlock()
        defer {
            lock.lock()
            busy.remove(client)
            lock.unlock()
        }
        return try PNG.encode(picture(r))
    }

    /// A frame as the WebSocket stream sends it: `sequence` (UInt32), width and height (UInt16 each),
    /// little-endian, then the pixels as RGBA bytes (no PNG to encode here or to decode in the page).
    func rawFrame(_ r: FrameRequest, sequence: UInt32) throws -> Data {
        let img = try picture(r)
        var bytes = [UInt8](repeating: 255, count: 8 + img.width * img.height * 4)
        for (i, v) in [UInt32(sequence), UInt32(img.width) | UInt32(img.height) << 16].enumerated() {
            for b in 0..<4 { bytes[4 * i + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(b))) }
        }
        img.pixels.withUnsafeBufferPointer { src in
            for k in 0..<(img.width * img.height) {
                for c in 0..<3 { bytes[8 + 4 * k + c] = PNG.byte(src[4 * k + c]) }
            }
        }
        return Data(bytes)
    }

    /// The picture of a request, rendered under the render lock (frames take both cores, one at a time).
    func picture(_ r: FrameRequest) throws -> RGBAImage {
        let entry = try entry(r.latent)
        let camera = Rig.camera(
            azimuth: r.azimuth, elevation: r.elevation, distance: r.distance, fovDegrees: model.config.fovDegrees,
            width: r.size, height: r.size)
        renderLock.lock()
        defer { renderLock.unlock() }
        let key =
            "\(r.latent)#\(entry.version)|"
            + r.edits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        let renderer: FieldRenderer
        if let c = cached, c.key == key {
            renderer = c.renderer
        } else {
            // The edited code (and its occupancy grid) is built only when the latent or the edits change:
            // a drag re-renders the same code from new cameras.
            renderer = FieldRenderer(field: entry.scene.field, code: try code(r))
            cached = (key, renderer)
        }
        let out = renderer.render(camera: camera)
        switch r.mode {
        case .rgb: return out.image.clamped()
        case .depth: return Self.depthPicture(out.depth, alpha: out.image, distance: r.distance)
        case .normals: return Self.normalPicture(out.depth, alpha: out.image, camera: camera)
        }
    }

    /// Camera depth as grey (near light, far dark), white where the object is not.
    static func depthPicture(_ depth: [Float], alpha: RGBAImage, distance: Double) -> RGBAImage {
        var img = RGBAImage(width: alpha.width, height: alpha.height)
        let near = Float(distance - 1.8), far = Float(distance + 1.8)
        for k in 0..<depth.count where alpha.pixels[4 * k + 3] > 0.5 && depth[k] > 0 {
            let v = 1 - min(1, max(0, (depth[k] - near) / (far - near)))
            for c in 0..<3 { img.pixels[4 * k + c] = 0.1 + 0.85 * v }
        }
        return img
    }

    /// Surface normals from the depth map (finite differences of the back-projected points),
    /// coloured n / 2 + 1/2, white where the object is not.
    static func normalPicture(_ depth: [Float], alpha: RGBAImage, camera: Camera) -> RGBAImage {
        let W = alpha.width, H = alpha.height
        var img = RGBAImage(width: W, height: H)
        let forward = camera.rotation[2]
        func point(_ i: Int, _ j: Int) -> SIMD3<Double>? {
            let k = j * W + i
            guard i >= 0, j >= 0, i < W, j < H, alpha.pixels[4 * k + 3] > 0.5, depth[k] > 0 else { return nil }
            let ray = camera.ray(x: Double(i) + 0.5, y: Double(j) + 0.5)
            return ray.origin + ray.direction * (Double(depth[k]) / (ray.direction * forward).sum())
        }
        for j in 0..<H {
            for i in 0..<W {
                guard let p = point(i, j) else { continue }
                let dx = (point(i + 1, j) ?? p) - (point(i - 1, j) ?? p)
                let dy = (point(i, j + 1) ?? p) - (point(i, j - 1) ?? p)
                var n = SIMD3(dx.y * dy.z - dx.z * dy.y, dx.z * dy.x - dx.x * dy.z, dx.x * dy.y - dx.y * dy.x)
                let l = (n * n).sum().squareRoot()
                guard l > 0 else { continue }
                n /= l
                if (n * (camera.position - p)).sum() < 0 { n = -n }
                for c in 0..<3 { img.pixels[4 * (j * W + i) + c] = Float(0.5 + 0.5 * n[c]) }
            }
        }
        return img
    }

    /// The latent's input photo beside its reconstruction, as PNG bytes (nil: none).
    func inputSheet(_ latent: Int) throws -> Data? {
        try entry(latent).inputSheet.map { try PNG.encode($0) }
    }

    /// The latent's mesh as GLB bytes (128³ cells: a download in about a second).
    func mesh(_ latent: Int) throws -> Data {
        let scene = try entry(latent).scene
        var settings = MeshSettings()
        settings.resolution = 128
        // Not under the render lock: frames go on beside it (sharing the cores) instead of waiting
        // a second for it. The server makes one mesh or GIF at a time.
        return try MeshExport.encode(scene: scene, settings: settings, format: "glb")
    }

    /// The latent's turntable as an H.264 MP4 (24 frames at 256 pixels, through ffmpeg), made in a
    /// private folder that goes with the answer.
    public func turntableMP4(_ latent: Int) throws -> Data {
        let scene = try entry(latent).scene
        _ = try Video.ffmpeg()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerfinv-view-mp4-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try RenderExport.turntable(
            field: scene.field, code: scene.latent.identity, frames: 24, elevation: 20,
            camera: RenderCamera(size: 256), to: folder + "/frames", mp4: folder + "/turntable.mp4")
        return try Data(contentsOf: URL(fileURLWithPath: folder + "/turntable.mp4"))
    }

    /// The latent's turntable as an animated GIF (24 frames at 128 pixels).
    public func turntable(_ latent: Int) throws -> Data {
        let scene = try entry(latent).scene
        return try RenderExport.turntableGIF(
            field: scene.field, code: scene.latent.identity, frames: 24, elevation: 20, camera: RenderCamera())
    }
}

extension ViewerSession {
    /// Removes the dropped photos' folder (the viewer is closing).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        uploads?.remove()
    }

    /// A photo dropped on the page (PNG bytes; `name` as the browser gave it): inverted at once with
    /// the encoders alone (`invert --fast`, or the one-shot encoder where the model has no
    /// iterative one) and added to the latents; a quick refinement and then the default inversion
    /// run behind and replace it in turn (`ViewerUploads.Stage`).
    /// Returns the new latent's index and the seconds the first inversion took. Refusals are
    /// `ViewerUploads.Refusal`s with the HTTP status and the page's message.
    func drop(_ body: Data, name given: String) throws -> (latent: Int, seconds: Double) {
        // The name is shown on the page: a short run of plain characters.
        let name = String(given.filter { $0.isLetter || $0.isNumber || "._- ".contains($0) }.prefix(48))
        let uploads: ViewerUploads
        do {
            uploads = try lock.withLock {
                if let made = self.uploads { return made }
                let made = try ViewerUploads(model: model, matting: matting)
                self.uploads = made
                return made
            }
        } catch {
            throw ViewerUploads.Refusal(status: 500, description: "no folder for dropped photos: \(error)")
        }
        let n = try uploads.claim(body, name: name.isEmpty ? "the file" : name)
        let t0 = Date()
        let index: Int
        do {
            let fast = try uploads.invert(n, body: body, stage: .fast)
            // (Files are read before the lock: frames wait on it.)
            let entry = Entry(
                name: "dropped \(n): " + (name.isEmpty ? "photo" : name),
                scene: try LatentScene.load(fast, model: model),
                inputSheet: Self.sheet(fast), state: "fast")
            index = lock.withLock {
                entries.append(entry)
                return entries.count - 1
            }
        } catch {
            uploads.release()
            throw error
        }
        let seconds = Date().timeIntervalSince(t0)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            defer { uploads.release() }
            do {
                for stage in [ViewerUploads.Stage.quick, .full] {
                    let refined = try uploads.invert(n, body: nil, stage: stage)
                    let scene = try LatentScene.load(refined, model: model)
                    let sheet = Self.sheet(refined)
                    lock.withLock {
                        entries[index].scene = scene
                        entries[index].inputSheet = sheet ?? entries[index].inputSheet
                        entries[index].version += 1
                        entries[index].state = stage.rawValue
                    }
                }
            } catch {
                let said = "refine failed: \(uploads.plain(error))"
                lock.withLock { entries[index].state = said }
            }
        }
        return (index, seconds)
    }
}
