import CAnnalsSupport

/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and RocksDB; hardware-accelerated where the CPU allows.
enum CRC32C {
    /// The checksum of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        annals_crc32c(0, bytes.baseAddress, bytes.count)
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
