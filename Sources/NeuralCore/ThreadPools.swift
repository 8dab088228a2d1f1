/// How long the two thread pools nerfinv does not own spin before they sleep. OpenBLAS's workers
/// (pthreads) spin 2^28 cycles by default after each product and oneDNN's (OpenMP) 300,000
/// iterations; on two cores the spinning workers take the cores from each other and from nerfinv's
/// own loops (`Parallel`), which run between the products. Measured on the AMD EPYC kind with
/// `nerfinv bench invert`: a refinement step took 0.0235 s with the defaults and 0.0161 s with
/// these limits, a whole inversion 3.35 s and 2.51 s. Both libraries read them once, when they load,
/// so `Compute.ensureBestKernel` sets them and re-executes the process; a value the user set wins.
public enum ThreadPools {
    /// The environment variables and the values nerfinv sets where they are absent.
    public static let spinLimits: [(name: String, value: String)] = [
        ("OPENBLAS_THREAD_TIMEOUT", "10"),  // 2^10 cycles, about 0.3 µs, before a worker sleeps
        ("GOMP_SPINCOUNT", "10000"),  // OpenMP (oneDNN): spin iterations before a futex wait
    ]

    /// The limits not yet in `environment`.
    public static func missing(in environment: [String: String]) -> [(name: String, value: String)] {
        spinLimits.filter { environment[$0.name] == nil }
    }
}
