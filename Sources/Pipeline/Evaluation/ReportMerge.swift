import FileIO
import Foundation

extension Evaluation {
    /// The report of a whole set from its shards' reports (`eval --shard K/N --report`, each with
    /// its objects' records): every figure recomputed from the records in set order, as an
    /// unsharded run computes it (the seconds aside, which are the shards' own). Errors name the
    /// file: not a shard report, other modes, an object in two shards, shards missing.
    public static func merge(reports paths: [String]) throws -> [ModeResult] {
        guard !paths.isEmpty else { throw FileError(path: "--merge", reason: "names no report") }
        var modes: [String]? = nil
        var records: [String: [ObjectRecord]] = [:]
        var seen: [Int: String] = [:]
        for path in paths {
            let data = try ReadFile.data(path, limit: 1 << 30, what: "eval report")
            let dec = JSONDecoder()
            dec.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let results: [ModeResult]
            do { results = try dec.decode([ModeResult].self, from: data) } catch {
                throw FileError(
                    path: path, reason: "not an eval report (\(DecodingErrors.describe(error, data: data)))")
            }
            let names = results.map(\.mode)
            if let modes, modes != names {
                throw FileError(
                    path: path,
                    reason:
                        "has modes \(names.joined(separator: ",")); the first report has \(modes.joined(separator: ","))"
                )
            }
            modes = names
            for r in results {
                guard let rs = r.records else {
                    throw FileError(
                        path: path, reason: "holds no per-object records: write shard reports with eval --shard K/N")
                }
                if r.mode == names.first {
                    for o in rs {
                        if let other = seen[o.index] {
                            throw FileError(
                                path: path, reason: "object \(o.id) is also in \(other): the shards overlap")
                        }
                        seen[o.index] = path
                    }
                }
                records[r.mode, default: []] += rs
            }
        }
        let count = seen.count
        if let missing = (0..<count).first(where: { seen[$0] == nil }) {
            throw FileError(
                path: paths[0],
                reason: "the reports hold \(count) objects but not object number \(missing): a shard is missing")
        }
        return (modes ?? []).map { ModeResult.aggregate(mode: $0, records: records[$0] ?? [], keep: false) }
    }
}
