import FileIO

/// What `--resume` accepts: the checkpoint's own run. Every setting but the length must match, and
/// a new length may end the run earlier or later but not before the step already reached.
enum ResumeCheck {
    static func validate<Config: Encodable & HasSteps>(saved: Config, current: Config, step: Int, path: String)
        throws
    {
        let differing = SettingsDifference.keys(saved, current, ignoring: ["steps"])
        guard differing.isEmpty else {
            throw FileError(
                path: path,
                reason:
                    "--resume continues the checkpoint's run, whose settings differ in \(differing.joined(separator: ", ")); start a new run (another --out) or resume with the same settings"
            )
        }
        guard current.steps >= step else {
            throw FileError(path: path, reason: "the checkpoint is at step \(step), past --steps \(current.steps)")
        }
    }
}

extension ResumeCheck {
    /// A run resumes with the number of ranks it was written by: the ranks' shares of each batch,
    /// the grids each rank built and the order gradients were summed in belong to that number.
    static func validate(savedRanks: Int?, current: Int, path: String) throws {
        let saved = savedRanks ?? 1
        guard saved == current else {
            func run(_ n: Int) -> String { n == 1 ? "one process (no mpirun)" : "\(n) ranks (mpirun -np \(n))" }
            throw FileError(
                path: path,
                reason:
                    "the checkpoint was written by a run of \(run(saved)); this one has \(run(current)): resume with -np \(saved)"
            )
        }
    }
}

/// A run's settings with a length in steps.
protocol HasSteps { var steps: Int { get } }
extension TrainConfig: HasSteps {}
extension EncoderTrainConfig: HasSteps {}
