import CZstd

extension RecordHeader {
    /// The magic number a zstd frame starts with, which stored frames leave out (`ZSTD_f_zstd1_magicless`).
    private static let frameMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// The longest zstd frame header (`ZSTD_FRAMEHEADERSIZE_MAX`): the bytes that hold a frame's content size.
    private static let longestFrameHeader = 18

    /// About how many bytes reading `record` holds in memory: its header and its payload once decompressed, whose size
    /// the zstd frame header records (FORMAT.md, "Codecs"), told without decompressing. A frame of repetitive content
    /// is thousands of times smaller than its content, so the stored size says little of what a chunk of records
    /// decodes to. A record whose content size cannot be told (a damaged one, which decoding it then reports) counts
    /// as its stored size.
    static func decodedSize(of record: UnsafeRawBufferPointer) -> Int {
        guard record.count > taggedSize,
            record[1] == PayloadCodec.zstd.rawValue || record[1] == PayloadCodec.zstdDictionary.rawValue
        else { return record.count }
        let headerSize: Int
        switch record[0] {
        case 1: headerSize = checkpointSize
        case 2: headerSize = taggedSize
        default: return record.count
        }
        guard record.count > headerSize else { return record.count }
        let frame = UnsafeRawBufferPointer(
            rebasing: record[headerSize..<min(record.count, headerSize + longestFrameHeader)])
        let capacity = frameMagic.count + longestFrameHeader
        let content = withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer -> UInt64 in
            frameMagic.withUnsafeBytes { buffer.copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: buffer[frameMagic.count...]).copyMemory(from: frame)
            return ZSTD_getFrameContentSize(buffer.baseAddress, frameMagic.count + frame.count)
        }
        // ZSTD_CONTENTSIZE_ERROR and ZSTD_CONTENTSIZE_UNKNOWN are the two largest values; no payload may be larger
        // than a decompressor produces.
        guard content <= UInt64(ZstdDecompressor.maximumOutput) else { return record.count }
        return max(record.count, headerSize + Int(content))
    }
}
