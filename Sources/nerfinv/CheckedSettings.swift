import ArgumentParser
import FileIO

/// Settings after a preset and the flags were laid over them, or a usage error naming the first
/// value out of range by the flag that sets it (or its key); `flags`: a command's own name for a
/// key's flag (eval's `--refine-steps` for `steps`).
func checked<S: Settings>(_ settings: S, flags: [String: String] = [:]) throws -> S {
    if var problem = settings.firstProblem {
        problem.flag = flags[problem.key] ?? problem.flag
        throw ValidationError(problem.asFlag)
    }
    return settings
}
