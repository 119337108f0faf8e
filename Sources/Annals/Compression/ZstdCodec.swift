import CZstd

/// How a record's payload is stored (byte 1 of the record header).
public enum PayloadCodec: UInt8, Sendable, CustomStringConvertible {
    /// Stored as is: compression would not have made it smaller.
    case raw = 0
    /// A magicless zstd frame, compressed without a dictionary.
    case zstd = 1
    /// A magicless zstd frame, compressed with the trained dictionary named in the header.
    case zstdDictionary = 2

    /// `raw`, `zstd` or `zstd+dict`.
    public var description: String {
        switch self {
        case .raw: "raw"
        case .zstd: "zstd"
        case .zstdDictionary: "zstd+dict"
        }
    }
}

/// A zstd dictionary ready for use: the raw bytes plus digested compression and decompression forms.
final class ZstdDictionary: @unchecked Sendable {
    /// The store-assigned id (1, 2, …).
    let id: UInt32
    /// The dictionary as trained.
    let bytes: [UInt8]
    let compressionDictionary: OpaquePointer
    let decompressionDictionary: OpaquePointer

    init(id: UInt32, bytes: [UInt8], level: Int32) throws(AnnalsError) {
        self.id = id
        self.bytes = bytes
        guard let cdict = bytes.withUnsafeBytes({ ZSTD_createCDict($0.baseAddress, $0.count, level) }),
            let ddict = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) })
        else { throw .compression("dictionary \(id) (\(bytes.count) bytes) could not be loaded") }
        compressionDictionary = cdict
        decompressionDictionary = ddict
    }

    deinit {
        ZSTD_freeCDict(compressionDictionary)
        ZSTD_freeDDict(decompressionDictionary)
    }
}

/// Compresses payloads, one thread at a time (the writer owns one).
///
/// Frames are written magicless, without checksum (the record header has a CRC-32C) and without dictionary id
/// (the header names the dictionary): the smallest frame zstd can write.
final class ZstdCompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    let level: Int32

    init(level: Int32 = 3) {
        context = ZSTD_createCCtx()
        self.level = level
        output = []
        configure()
    }

    deinit { ZSTD_freeCCtx(context) }

    private func configure() {
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 0)
        ZSTD_CCtx_setParameter(context, ZSTD_c_dictIDFlag, 0)
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
        ZSTD_CCtx_setParameter(
            context, ZSTD_c_experimentalParam2, 1 /* ZSTD_f_zstd1_magicless, from the static-only API */)
    }

    /// Compresses `payload` and calls `body` with the smallest stored form and its codec.
    func withCompressed<R>(
        _ payload: UnsafeRawBufferPointer, dictionary: ZstdDictionary?,
        _ body: (PayloadCodec, UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let bound = ZSTD_compressBound(payload.count)
        if output.count < bound { output = [UInt8](repeating: 0, count: max(bound, 4096)) }
        ZSTD_CCtx_refCDict(context, dictionary?.compressionDictionary)
        let size = output.withUnsafeMutableBytes { out in
            ZSTD_compress2(context, out.baseAddress, out.count, payload.baseAddress, payload.count)
        }
        if ZSTD_isError(size) != 0 {
            throw AnnalsError.compression("ZSTD_compress2: " + String(cString: ZSTD_getErrorName(size)))
        }
        if size >= payload.count { return try body(.raw, payload) }
        return try output.withUnsafeBytes { out in
            try body(dictionary == nil ? .zstd : .zstdDictionary, UnsafeRawBufferPointer(rebasing: out[0..<size]))
        }
    }
}

/// Decompresses payloads; each reader owns one (a decompression context is not thread-safe).
///
/// The output buffer starts at 16 KiB (or the event size limit, if smaller) and doubles, up to 256 MiB, when a frame
/// is larger: creating a decompressor is cheap, and a record written under a larger limit stays readable.
final class ZstdDecompressor {
    /// The largest payload it will produce.
    static let maximumOutput = 256 << 20

    private let context: OpaquePointer
    private var output: [UInt8]

    init(maximumSize: Int) {
        context = ZSTD_createDCtx()
        output = [UInt8](repeating: 0, count: min(maximumSize, 16 << 10))
        ZSTD_DCtx_setParameter(context, ZSTD_d_experimentalParam1, 1 /* ZSTD_f_zstd1_magicless */)
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `frame` and calls `body` with the payload, valid only during the call.
    func withDecompressed<R>(
        _ frame: UnsafeRawBufferPointer, dictionary: ZstdDictionary?,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        ZSTD_DCtx_refDDict(context, dictionary?.decompressionDictionary)
        while true {
            let size = output.withUnsafeMutableBytes { out in
                ZSTD_decompressDCtx(context, out.baseAddress, out.count, frame.baseAddress, frame.count)
            }
            if ZSTD_isError(size) == 0 {
                return try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
            }
            if ZSTD_getErrorCode(size) == ZSTD_error_dstSize_tooSmall && output.count < Self.maximumOutput {
                output = [UInt8](repeating: 0, count: min(output.count * 2, Self.maximumOutput))
                ZSTD_DCtx_refDDict(context, dictionary?.decompressionDictionary)
                continue
            }
            throw ZstdFailure(message: String(cString: ZSTD_getErrorName(size)))
        }
    }
}

/// A zstd error message, turned into ``AnnalsError/corruptRecord(offset:reason:)`` by the reader.
struct ZstdFailure: Error {
    let message: String
}
