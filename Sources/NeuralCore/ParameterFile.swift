import FileIO
import Foundation

/// The versioned binary format for named parameters (models, checkpoints):
///
///     offset 0   magic "NVMODEL\n" (8 bytes)
///     offset 8   format version, UInt32 little-endian
///     offset 12  header length h, UInt32 little-endian
///     offset 16  header: UTF-8 JSON {dtype, tensors: [{name, shape, offset, count}], metadata, config}
///     16 + h     payload: the tensors' values, fp32 or fp16, little-endian, at their offsets
///     end - 4    CRC-32 of every byte before it
///
/// Reading checks each of these, so a truncated, corrupted or foreign file is an error naming the
/// file and the problem, never a crash.
public enum ParameterFile {
    public static let magic: [UInt8] = Array("NVMODEL\n".utf8)
    public static let version: UInt32 = 1
    /// Files above this are refused before reading: the project's models are well under 100 MB.
    static let maxFileBytes = 2 << 30

    public enum DType: String, Codable, Sendable { case f32, f16 }

    struct Entry: Codable {
        var name: String
        var shape: [Int]
        var offset: Int
        var count: Int
    }

    struct Header<Config: Codable>: Codable {
        var dtype: DType
        var tensors: [Entry]
        var metadata: [String: String]
        var config: Config?
    }

    /// A decoded file: tensors in file order, the config and free-form metadata.
    public struct Contents<Config: Codable> {
        public var tensors: [(name: String, tensor: Tensor)]
        public var config: Config?
        public var metadata: [String: String]
        public var dtype: DType
        public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
        /// The tensors by name (the first of a repeated name).
        public var named: [String: Tensor] {
            Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        }
        /// The tensors whose names start with `prefix`, by the rest of their name.
        public func tensors(prefixed prefix: String) -> [String: Tensor] {
            var out: [String: Tensor] = [:]
            for (name, t) in tensors where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = t }
            return out
        }
    }

    /// Writes atomically (temporary file, then rename).
    public static func write<Config: Codable>(
        to path: String, tensors: [(name: String, tensor: Tensor)],
        config: Config?, metadata: [String: String] = [:],
        dtype: DType = .f32
    ) throws {
        try AtomicFile.write(encode(tensors: tensors, config: config, metadata: metadata, dtype: dtype), to: path)
    }

    public static func encode<Config: Codable>(
        tensors: [(name: String, tensor: Tensor)], config: Config?,
        metadata: [String: String], dtype: DType
    ) throws -> Data {
        let width = dtype == .f32 ? 4 : 2
        var entries: [Entry] = []
        var offset = 0
        var seen = Set<String>()
        for (name, t) in tensors {
            guard seen.insert(name).inserted else {
                throw FileError(path: "<model>", reason: "duplicate tensor name \(name)")
            }
            entries.append(Entry(name: name, shape: t.shape, offset: offset, count: t.count))
            offset += t.count * width
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = try encoder.encode(Header(dtype: dtype, tensors: entries, metadata: metadata, config: config))
        var data = Data(capacity: 20 + header.count + offset)
        data.append(contentsOf: magic)
        appendLE(&data, version)
        appendLE(&data, UInt32(header.count))
        data.append(header)
        var payload = [UInt8](repeating: 0, count: offset)
        payload.withUnsafeMutableBytes { raw in
            for ((_, t), e) in zip(tensors, entries) {
                for i in 0..<t.count {
                    switch dtype {
                    case .f32:
                        raw.storeBytes(
                            of: t[i].bitPattern.littleEndian, toByteOffset: e.offset + 4 * i, as: UInt32.self)
                    case .f16:
                        raw.storeBytes(
                            of: Float16(t[i]).bitPattern.littleEndian, toByteOffset: e.offset + 2 * i, as: UInt16.self)
                    }
                }
            }
        }
        data.append(contentsOf: payload)
        let crc = data.withUnsafeBytes { CRC32.checksum($0) }
        appendLE(&data, crc)
        return data
    }

    /// Reads and validates a file. `Config` is the type the caller expects in the header.
    public static func read<Config: Codable>(from path: String, config: Config.Type) throws -> Contents<Config> {
        let data = try ReadFile.data(path, limit: maxFileBytes, what: "nerfinv model")
        do { return try decode(data, config: config) } catch let e as FormatError {
            throw FileError(path: path, reason: e.reason)
        }
    }

    struct FormatError: Error { let reason: String }

    public static func decode<Config: Codable>(_ data: Data, config: Config.Type) throws -> Contents<Config> {
        guard data.count >= 20 else {
            throw FormatError(
                reason: data.isEmpty
                    ? "the file is empty" : "truncated: \(data.count) bytes is shorter than any model file")
        }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Contents<Config> in
            guard Array(raw[0..<8]) == magic else {
                throw FormatError(reason: mixUp(data, Config.self) ?? "not a nerfinv model/parameter file (bad magic)")
            }
            let ver = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
            guard ver <= version, ver >= 1 else {
                throw FormatError(
                    reason: "format version \(ver) is not supported (this nerfinv reads version \(version))")
            }
            let headerBytes = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
            guard headerBytes <= raw.count - 20 else {
                throw FormatError(reason: "truncated: header runs past the end of the file")
            }
            let stored = raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self).littleEndian
            let actual = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)]))
            guard stored == actual else {
                throw FormatError(reason: "checksum mismatch: the file is truncated or corrupted")
            }
            let header: Header<Config>
            do {
                header = try JSONDecoder().decode(Header<Config>.self, from: Data(raw[16..<(16 + headerBytes)]))
            } catch {
                throw FormatError(reason: mixUp(data, Config.self) ?? "unreadable header: \(error)")
            }
            let payloadStart = 16 + headerBytes, payloadBytes = raw.count - 4 - payloadStart
            let width = header.dtype == .f32 ? 4 : 2
            var tensors: [(name: String, tensor: Tensor)] = []
            for e in header.tensors {
                guard e.shape.allSatisfy({ $0 >= 0 }), e.count >= 0, e.offset >= 0,
                    e.shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 })
                        == e.count
                else { throw FormatError(reason: "tensor \(e.name): shape \(e.shape) does not hold \(e.count) values") }
                guard e.count <= payloadBytes / width, e.offset <= payloadBytes - e.count * width else {
                    throw FormatError(reason: "tensor \(e.name) lies outside the payload")
                }
                let t = Tensor(e.shape)
                let base = payloadStart + e.offset
                switch header.dtype {
                case .f32:
                    for i in 0..<e.count {
                        t[i] = Float(
                            bitPattern: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self).littleEndian)
                    }
                case .f16:
                    for i in 0..<e.count {
                        t[i] = Float(
                            Float16(
                                bitPattern: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self)
                                    .littleEndian))
                    }
                }
                guard t.isFinite else { throw FormatError(reason: "tensor \(e.name) holds NaN or Inf values") }
                tensors.append((e.name, t))
            }
            return Contents(tensors: tensors, config: header.config, metadata: header.metadata, dtype: header.dtype)
        }
    }

    /// "is a matting network, not a nerfinv model" when the file is of another known kind than
    /// `Config` names.
    static func mixUp<Config>(_ data: Data, _: Config.Type) -> String? {
        guard let expected = (Config.self as? NamedFormat.Type)?.formatName else { return nil }
        return FileKind.mixUp(data, expected: expected)
    }

    private static func appendLE<T: FixedWidthInteger>(_ data: inout Data, _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }
}

/// A config type for reading a file whose config is not needed.
public struct NoConfig: Codable, Sendable {
    public init() {}
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {}
}
