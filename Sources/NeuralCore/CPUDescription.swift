import CShims
import Foundation

/// What a speed figure was measured on (`nerfinv bench` prints it with every table and writes it
/// into every JSON report): the CPU's model name, its vector extensions, the OpenBLAS kernel that
/// and oneDNN that ran and the threads, so figures from two CPU kinds are never compared unlabelled.
public struct CPUDescription: Codable, Sendable, Equatable {
    /// `model name` from /proc/cpuinfo (the vendor string where that is absent).
    public var model: String
    public var cores: Int
    public var avx2: Bool
    public var avx512: Bool
    public var avx512bf16: Bool
    /// OpenBLAS's running kernel family ("Cooperlake", "SkylakeX", "Haswell", ...).
    public var blasKernel: String
    /// Threads of nerfinv's loops and of OpenBLAS.
    public var threads: Int
    public var blasThreads: Int
    /// oneDNN's version and ISA (and the implementation of its first primitive once one ran), or "not used".
    public var onednn: String

    /// The machine this process runs on.
    public static var current: CPUDescription {
        var f = nv_cpu_features()
        nv_cpu_query(&f)
        let vendor = withUnsafeBytes(of: f.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return CPUDescription(
            model: modelName(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
                ?? vendor,
            cores: ProcessInfo.processInfo.activeProcessorCount, avx2: f.avx2 != 0 && f.os_saves_ymm != 0,
            avx512: f.avx512f != 0 && f.os_saves_zmm != 0, avx512bf16: hasAVX512BF16(f), blasKernel: BLAS.coreName,
            threads: Parallel.threads, blasThreads: BLAS.threads,
            onednn: OneDNN.description)
    }

    /// Whether this CPU (and its OS) runs AVX-512 bf16: CPUID only, without the rest of `current`
    /// (/proc/cpuinfo, OpenBLAS and oneDNN queries), for code that only needs this flag.
    public static var hasAVX512BF16: Bool {
        var f = nv_cpu_features()
        nv_cpu_query(&f)
        return hasAVX512BF16(f)
    }

    private static func hasAVX512BF16(_ f: nv_cpu_features) -> Bool { f.avx512bf16 != 0 && f.os_saves_zmm != 0 }

    /// The first `model name` of a /proc/cpuinfo text, or nil.
    static func modelName(cpuinfo: String) -> String? {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { return name }
        }
        return nil
    }

    /// One line for a report's head: "AMD EPYC, 2 cores, AVX-512 + bf16, OpenBLAS Cooperlake, 2 threads".
    public var summary: String {
        let isa = avx512 ? (avx512bf16 ? "AVX-512 + bf16" : "AVX-512") : (avx2 ? "AVX2" : "no AVX2")
        return "\(model), \(cores) cores, \(isa), OpenBLAS \(blasKernel), \(threads) threads (OpenBLAS \(blasThreads))"
    }
}
