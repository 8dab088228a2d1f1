import NeuralCore

/// What a data-parallel run (`mpirun -np N nerfinv train ...`) checks before it loads anything.
public enum DataParallel {
    /// Every rank needs a share of each batch (its objects, or all the data's when fewer): a batch
    /// of fewer objects than ranks is refused by name.
    static func check(batch: Int, objects flag: String, group: Communicator) throws {
        guard batch >= group.size else {
            throw TrainingError(
                "a batch of \(batch) objects cannot be split over \(group.size) ranks: raise \(flag) to at least \(group.size) or start fewer ranks"
            )
        }
    }
}
