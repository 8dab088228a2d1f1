import Datasets
import FileIO
import Foundation
import Imaging
import NeuralCore

// B photos per batch, S the network's input side, N photos held.

/// Photos and their object masks from `generate --backgrounds` datasets (photo/ and mask/ beside
/// each object's views), resampled to the network's side and kept as bytes.
public struct MattingData: Sendable {
    public let side: Int
    var photos: [[UInt8]] = []  // each (S, S, 3)
    var masks: [[UInt8]] = []  // each (S, S)
    public var count: Int { photos.count }

    /// Up to `viewsPerObject` views of up to `limit` objects of `root`.
    public static func load(root: String, side: Int, viewsPerObject: Int = 8, limit: Int? = nil) throws -> MattingData {
        var ids = try SRNDataset.objectIDs(root: root)
        if let limit { ids = Array(ids.prefix(limit)) }
        var data = MattingData(side: side)
        for id in ids {
            let dir = "\(root)/\(id)"
            guard FileManager.default.fileExists(atPath: "\(dir)/photo") else {
                throw FileError(
                    path: dir, reason: "has no photo/ folder: make the set with `nerfinv generate --backgrounds`")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/photo").filter {
                $0.hasSuffix(".png")
            }
            .sorted()
            for name in names.prefix(viewsPerObject) {
                var (photo, _) = try PNG.read("\(dir)/photo/\(name)")
                var (mask, maskInfo) = try PNG.read("\(dir)/mask/\(name)")
                // A gray mask is its value; an RGBA one (the object alone on a transparent film) its alpha.
                if maskInfo.colorType == 4 || maskInfo.colorType == 6 {
                    for k in 0..<(mask.width * mask.height) { mask.pixels[4 * k] = mask.pixels[4 * k + 3] }
                }
                if photo.width != side || photo.height != side {
                    photo = Resample.resize(photo, width: side, height: side)
                }
                if mask.width != side || mask.height != side { mask = Resample.resize(mask, width: side, height: side) }
                func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
                data.photos.append((0..<(side * side * 3)).map { byte(photo.pixels[4 * ($0 / 3) + $0 % 3]) })
                data.masks.append((0..<(side * side)).map { byte(mask.pixels[4 * $0]) })
            }
        }
        guard data.count > 0 else { throw FileError(path: root, reason: "holds no photos with masks") }
        return data
    }

    /// Photo k as (3, S, S) floats into `out`, mirrored left-right when asked; its mask (S, S) into `mask`.
    func write(_ k: Int, flip: Bool, image out: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>) {
        let S = side
        for j in 0..<S {
            for i in 0..<S {
                let src = j * S + (flip ? S - 1 - i : i)
                for c in 0..<3 { out[(c * S + j) * S + i] = Float(photos[k][3 * src + c]) / 255 }
                mask[j * S + i] = Float(masks[k][src]) / 255
            }
        }
    }
}

/// How the matting network trains.
public struct MattingTrainConfig: Settings, Sendable, Equatable {
    public var steps = 3000
    public var batch = 16
    public var lr: Float = 2e-3
    /// Cosine fall of the learning rate over this last fraction of the steps.
    var decayFraction = 0.5
    public var seed: UInt64 = 1
    public init() {}

    public static let keys: [SettingKey<MattingTrainConfig>] = [
        .init("steps", \.steps, in: 1...1_000_000, flag: "--steps"),
        .init("batch", \.batch, in: 1...256, flag: "--batch"),
        .init("lr", \.lr, rule: SettingRule.positive),
        .init("decayFraction", \.decayFraction, in: 0...1),
        .init("seed", \.seed),
    ]
}

/// Adam on the network's weights against binary cross-entropy of each pixel's mask.
public final class MattingTrainer {
    public let network: MattingNetwork
    public let data: MattingData
    public let config: MattingTrainConfig
    public private(set) var step = 0
    var rng: SplitMix64
    let adam = Adam()
    let grads: ParameterGradients

    public init(network: MattingNetwork, data: MattingData, config: MattingTrainConfig) {
        precondition(data.side == network.config.inputSize, "photos at the network's side")
        self.network = network
        self.data = data
        self.config = config
        rng = SplitMix64(seed: config.seed)
        grads = ParameterGradients(like: network.parameters)
    }

    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: 0.05)
    }

    /// One step; returns the batch's mean BCE.
    public func trainStep() -> Float {
        let B = config.batch, S = data.side
        let images = Tensor([B, 3, S, S]), masks = Tensor([B, 1, S, S])
        for b in 0..<B {
            data.write(
                rng.nextInt(data.count), flip: rng.nextFloat() < 0.5, image: images.data + b * 3 * S * S,
                mask: masks.data + b * S * S)
        }
        let acts = network.forward(images: images.data, B: B)
        let loss = BCEWithLogits.forward(logits: acts.logits.data, targets: masks.data, N: B * S * S)
        let dLogits = Tensor([B, 1, S, S])
        BCEWithLogits.backward(
            dLogits: dLogits.data, dLoss: 1, logits: acts.logits.data, targets: masks.data, N: B * S * S)
        grads.zero()
        network.backward(dLogits: dLogits.data, acts: acts, images: images.data, grads: grads)
        adam.beginStep()
        let lr = config.lr * lrScale(step)
        for (slot, (name, t)) in network.parameters.enumerated() {
            adam.update(name, param: t, grad: grads[slot], lr: lr)
        }
        step += 1
        return loss
    }

    /// Mean IoU of the predicted masks (probability > 0.5, read as `reading` says) with the true
    /// ones (> 0.5), over `data`.
    public static func meanIoU(
        _ network: MattingNetwork, on data: MattingData, reading: Matting.MaskReading = .init()
    ) -> Double {
        let S = data.side
        precondition(S == network.config.inputSize, "the photos are resampled to the network's side")
        var total = 0.0
        let image = Tensor([1, 3, S, S]), mask = Tensor([1, 1, S, S])
        for k in 0..<data.count {
            data.write(k, flip: false, image: image.data, mask: mask.data)
            let predicted = Matting.probabilities(network, image: image.data, reading: reading)
            var both = 0, either = 0
            for p in 0..<(S * S) {
                let a = predicted[p] > MaskCleanup.threshold, b = mask[p] > 0.5
                if a && b { both += 1 }
                if a || b { either += 1 }
            }
            total += either == 0 ? 1 : Double(both) / Double(either)
        }
        return total / Double(max(1, data.count))
    }

    struct State: Codable {
        var step: Int, adamStep: Int, rng: SplitMix64, config: MattingTrainConfig
    }

    /// The trained network with its training state, for --resume.
    public func saveCheckpoint(_ path: String) throws {
        let state = String(
            decoding: try JSONEncoder().encode(State(step: step, adamStep: adam.step, rng: rng, config: config)),
            as: UTF8.self)
        try ParameterFile.write(
            to: path,
            tensors: network.parameters + adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) },
            config: network.config, metadata: ["trainer_state": state], dtype: .f32)
    }

    public func restore(from path: String) throws {
        let contents = try ParameterFile.read(from: path, config: MattingConfig.self)
        guard contents.config == network.config else {
            throw FileError(path: path, reason: "is a checkpoint of another matting network shape")
        }
        guard let text = contents.metadata["trainer_state"],
            let state = try? JSONDecoder().decode(State.self, from: Data(text.utf8))
        else { throw FileError(path: path, reason: "has no matting trainer state") }
        // The step count may grow on resume; anything else would make another run.
        let changed = SettingsDifference.keys(state.config, config, ignoring: ["steps"])
        guard changed.isEmpty else {
            throw FileError(
                path: path,
                reason:
                    "was trained with other settings (\(changed.joined(separator: ", "))); resume with the same ones")
        }
        let named = contents.named
        for (name, t) in network.parameters {
            guard let src = named[name], src.shape == t.shape else {
                throw FileError(path: path, reason: "lacks \(name)")
            }
            t.copy(from: src)
        }
        adam.restore(step: state.adamStep, tensors: contents.tensors(prefixed: "adam."))
        step = state.step
        rng = state.rng
    }
}

/// The matting network as its own small file (fp16): config, weights, provenance.
public enum MattingFile {
    public static func save(_ network: MattingNetwork, to path: String, notes: [String: String]) throws {
        try ParameterFile.write(
            to: path, tensors: network.parameters, config: network.config, metadata: notes, dtype: .f16)
    }

    public static func load(_ path: String) throws -> (network: MattingNetwork, notes: [String: String]) {
        let contents = try ParameterFile.read(from: path, config: MattingConfig.self)
        guard let config = contents.config else {
            throw FileError(path: path, reason: "not a nerfinv matting file (no matting config)")
        }
        if let problem = config.problem { throw FileError(path: path, reason: problem) }
        do { return (try MattingNetwork(config: config, tensors: contents.named), contents.metadata) } catch {
            throw FileError(path: path, reason: "\(error)")
        }
    }
}
