import Foundation

/// Wall-clock timing for benchmarks.
public enum Timing {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median seconds per call of `body` over `repeats` timed runs (after one warm-up), each run
    /// repeating the call until it lasts at least `minSeconds` so short ops are not timer noise.
    public static func median(repeats: Int = 5, minSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        body()
        var samples: [Double] = []
        for _ in 0..<max(1, repeats) {
            var calls = 0
            let t0 = now()
            var t1 = t0
            repeat {
                body()
                calls += 1
                t1 = now()
            } while t1 - t0 < minSeconds
            samples.append((t1 - t0) / Double(calls))
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
