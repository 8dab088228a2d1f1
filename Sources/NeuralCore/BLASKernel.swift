import CShims
import Foundation

/// Chooses OpenBLAS's kernel. Debian's OpenBLAS 0.3.21 does not know recent CPUs and silently falls
/// back to generic SSE3 kernels ("Prescott"), about 5x slower. The choice is made when the library
/// loads (from `OPENBLAS_CORETYPE`), so the CLI re-executes itself with the right variable set.
public enum BLASKernel {
    /// Environment variable OpenBLAS reads at load time.
    static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set on the re-executed process: records the core OpenBLAS picked by itself, and stops loops.
    public static let defaultCoreVariable = "NERFINV_BLAS_DEFAULT_CORE"
    /// Set when a chosen kernel failed verification, so the next exec keeps OpenBLAS's own choice.
    public static let rejectedVariable = "NERFINV_BLAS_REJECTED"

    /// Kernels that do not use AVX2/FMA: on a CPU that has them, these are a fallback, not a choice.
    static let preAVX2Cores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington",
        "nehalem", "atom", "sandybridge", "opteron", "opteron_sse3", "barcelona", "bobcat", "athlon",
        "bulldozer", "piledriver", "steamroller", "excavator", "unknown",
    ]
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]

    /// The best kernel this CPU can run, or nil if none better than OpenBLAS's own pick is known.
    public static func preferredCore(for f: nv_cpu_features) -> String? {
        if f.avx512f != 0 && f.avx512dq != 0 && f.avx512cd != 0 && f.avx512bw != 0 && f.avx512vl != 0
            && f.os_saves_zmm != 0
        {
            return f.avx512bf16 != 0 ? "Cooperlake" : "SkylakeX"
        }
        if f.avx2 != 0 && f.fma != 0 && f.os_saves_ymm != 0 { return "Haswell" }
        return nil
    }

    /// What to do at start-up: the core to re-exec with, or nil to keep the loaded one.
    /// - Parameters:
    ///   - current: the core OpenBLAS loaded (`BLAS.coreName`).
    ///   - preferred: `preferredCore(for:)`.
    ///   - environment: the process environment (a user's `OPENBLAS_CORETYPE` always wins).
    public static func reexecCore(current: String, preferred: String?, environment: [String: String]) -> String? {
        guard let preferred else { return nil }
        if environment[coreTypeVariable] != nil || environment[defaultCoreVariable] != nil
            || environment[rejectedVariable] != nil
        {
            return nil
        }
        let cur = current.lowercased()
        if avx512Cores.contains(preferred.lowercased()) {
            return avx512Cores.contains(cur) ? nil : preferred
        }
        return preAVX2Cores.contains(cur) ? preferred : nil
    }

    /// How the running kernel came to be, for `nerfinv bench` and `--version`-style reports.
    public static var report: String {
        let env = ProcessInfo.processInfo.environment
        let core = BLAS.coreName
        if let def = env[defaultCoreVariable] {
            return "\(core) (chosen by nerfinv from CPUID; OpenBLAS's own pick was \(def))"
        }
        if let rejected = env[rejectedVariable] {
            return "\(core) (OpenBLAS's own pick; \(rejected) failed verification)"
        }
        if env[coreTypeVariable] != nil { return "\(core) (from \(coreTypeVariable) set by the user)" }
        return "\(core) (OpenBLAS's own pick)"
    }

    /// Largest relative error of `sgemm` against the Double reference on a small odd-sized product
    /// covering all four transpose cases.
    public static func verificationError() -> Double {
        var rng = SplitMix64(seed: 0xB1A5)
        let M = 37, N = 29, K = 53
        let A = Tensor([M * K]), B = Tensor([K * N])
        A.fillUniform(-1, 1, rng: &rng)
        B.fillUniform(-1, 1, rng: &rng)
        let C = Tensor([M * N]), R = Tensor([M * N])
        var worst = 0.0
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let lda = ta ? M : K, ldb = tb ? K : N
            BLAS.sgemm(
                transA: ta, transB: tb, M: M, N: N, K: K, A: A.data, lda: lda, B: B.data, ldb: ldb, beta: 0, C: C.data,
                ldc: N)
            BLAS.sgemmReference(
                transA: ta, transB: tb, M: M, N: N, K: K, A: A.data, lda: lda, B: B.data, ldb: ldb, beta: 0, C: R.data,
                ldc: N)
            for i in 0..<(M * N) {
                let err = abs(Double(C[i]) - Double(R[i])) / max(1.0, abs(Double(R[i])))
                worst = max(worst, err.isNaN ? .infinity : err)
            }
        }
        return worst
    }

    /// Relative error above which a kernel is declared broken. A correct float32 product of length
    /// 53 with entries in [-1, 1] is off by ~1e-6; a wrong kernel is off by O(1).
    public static let verificationTolerance = 1e-4

    /// Call first thing in `main`, before any other work: re-executes the process with a faster
    /// kernel when OpenBLAS fell back to a generic one, then verifies the kernel in use. Returns
    /// normally when no re-exec is needed; on a failed verification re-executes with OpenBLAS's own
    /// choice or, if that was already the case, writes a warning to stderr.
    ///
    /// The thread pools' spin limits (`ThreadPools`) are set here too, in the same re-exec: both
    /// need the library to load again.
    public static func ensureBestKernel() {
        let env = ProcessInfo.processInfo.environment
        let spins = ThreadPools.missing(in: env)
        for s in spins { setenv(s.name, s.value, 1) }
        var features = nv_cpu_features()
        nv_cpu_query(&features)
        let current = BLAS.coreName
        if let core = reexecCore(current: current, preferred: preferredCore(for: features), environment: env) {
            setenv(coreTypeVariable, core, 1)
            setenv(defaultCoreVariable, current, 1)
            reexec()
            // exec failed: carry on with the kernel already loaded.
            unsetenv(coreTypeVariable)
            unsetenv(defaultCoreVariable)
            return
        }
        if !spins.isEmpty {
            reexec()  // returns only if exec failed: carry on with the default spins
        }
        let err = verificationError()
        if err > verificationTolerance {
            if env[defaultCoreVariable] != nil {
                // Our choice computes wrong results: go back to OpenBLAS's own kernel.
                unsetenv(coreTypeVariable)
                unsetenv(defaultCoreVariable)
                setenv(rejectedVariable, current, 1)
                reexec()
            }
            FileHandle.standardError.write(
                Data(
                    "warning: OpenBLAS kernel \(current) failed verification (relative error \(err)); results may be wrong\n"
                        .utf8))
        }
    }

    private static func reexec() {
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
