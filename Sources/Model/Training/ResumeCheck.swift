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

/// A run's settings with a length in steps.
protocol HasSteps { var steps: Int { get } }
extension TrainConfig: HasSteps {}
extension EncoderTrainConfig: HasSteps {}
