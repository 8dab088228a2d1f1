import NeuralCore

/// Copies a file's named tensors into a network's parameters (fields, the encoder, the matting
/// network): every parameter must be there with its shape; the error names the one that is not.
enum NamedWeights {
    static func load(
        _ parameters: [(name: String, tensor: Tensor)], from tensors: [String: Tensor], file: String, config: String
    ) throws {
        for (name, t) in parameters {
            guard let src = tensors[name] else { throw ModelError("\(file) lacks tensor \(name)") }
            guard src.shape == t.shape else {
                throw ModelError("tensor \(name) has shape \(src.shape), the \(config) needs \(t.shape)")
            }
            t.copy(from: src)
        }
    }
}
