import ArgumentParser
import Pipeline

/// --max-memory for commands whose size flags make buffers grow (renders, sheets, meshes): the
/// same budget as training's, checked before any work.
struct MemoryOptions: ParsableArguments {
    @Option(help: "Memory the command may plan for its images, frames or mesh, in GB (larger sizes are refused).")
    var maxMemory: Double = Compute.defaultMemoryGB

    func validate() throws {
        guard maxMemory.isFinite, maxMemory > 0 else {
            throw ValidationError("--max-memory must be a positive number of GB")
        }
        // Set here, at validation, so that every command holding these options plans with it.
        Compute.limitMemory(gigabytes: maxMemory)
    }
}
