/// Gradient storage shaped like a parameter list: tensor i belongs to parameter i. Ops index it by
/// position (a layer knows its slots), so a backward pass looks nothing up by name.
public final class ParameterGradients {
    public let names: [String]
    public let tensors: [Tensor]

    /// Zeroed tensors shaped like `parameters`.
    public init(like parameters: [(name: String, tensor: Tensor)]) {
        names = parameters.map(\.name)
        tensors = parameters.map { Tensor($0.tensor.shape) }
    }

    /// Gradients in given tensors (a test's own buffers), one per parameter name.
    public init(names: [String], tensors: [Tensor]) {
        precondition(names.count == tensors.count, "one tensor per name")
        self.names = names
        self.tensors = tensors
    }

    public subscript(_ slot: Int) -> Tensor { tensors[slot] }

    public func zero() { for t in tensors { t.zero() } }

    /// (name, gradient) pairs in parameter order.
    public var named: [(name: String, tensor: Tensor)] { Array(zip(names, tensors)) }
}
