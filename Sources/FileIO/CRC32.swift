import CShims

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) by zlib's `crc32`, for file checksums.
public enum CRC32 {
    /// The checksum of `bytes`, continuing from `initial` (0 for a fresh checksum).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        nv_crc32(initial, bytes.baseAddress, bytes.count)
    }
}
