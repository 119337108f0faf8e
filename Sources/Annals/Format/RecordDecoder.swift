import LMDB

/// Turns stored records back into events: header, decompression, CRC-32C check, envelope. One per reader
/// (it owns a decompression context).
final class RecordDecoder {
    private let registry: DictionaryRegistry
    private let identity: EventIdentity
    private let decompressor: ZstdDecompressor

    init(registry: DictionaryRegistry, identity: EventIdentity, maximumEventSize: Int) {
        self.registry = registry
        self.identity = identity
        self.decompressor = ZstdDecompressor(maximumSize: maximumEventSize + 1024)
    }

    /// Calls `body` with the record's header and its checked, uncompressed payload.
    func withPayload<R>(
        _ record: UnsafeRawBufferPointer, _ txn: borrowing Transaction,
        _ body: (RecordHeader, UnsafeRawBufferPointer) throws -> R
    ) throws(RecordFormatError) -> R {
        try withPayload(record, dictionary: { id in try registry.dictionary(id, txn) }, body)
    }

    /// ``withPayload(_:_:_:)`` with dictionaries looked up through `dictionary` (no transaction needed when they
    /// are cached).
    func withPayload<R>(
        _ record: UnsafeRawBufferPointer, dictionary lookup: (UInt32) throws -> ZstdDictionary,
        _ body: (RecordHeader, UnsafeRawBufferPointer) throws -> R
    ) throws(RecordFormatError) -> R {
        let header = try RecordHeader.read(record)
        let stored = UnsafeRawBufferPointer(rebasing: record[header.size...])
        do {
            return try withoutActuallyEscaping(body) { body in
                let check = { (payload: UnsafeRawBufferPointer) throws -> R in
                    let computed = CRC32C.checksum(payload)
                    guard computed == header.checksum else {
                        throw RecordFormatError.checksumMismatch(stored: header.checksum, computed: computed)
                    }
                    return try body(header, payload)
                }
                switch header.codec {
                case .raw:
                    return try check(stored)
                case .zstd:
                    return try decompressor.withDecompressed(stored, dictionary: nil, check)
                case .zstdDictionary:
                    let dictionary: ZstdDictionary
                    do {
                        dictionary = try lookup(header.dictionaryID)
                    } catch AnnalsError.compression {
                        // Stored, but zstd refuses it: the header names a dictionary no record can be read with.
                        throw RecordFormatError.unloadableDictionary(header.dictionaryID)
                    } catch let error as LMDBError {
                        // The pages holding the dictionary could not be read: say so, not "malformed envelope".
                        throw RecordFormatError.unreadableDictionary(header.dictionaryID, error.description)
                    }
                    return try decompressor.withDecompressed(stored, dictionary: dictionary, check)
                }
            }
        } catch let error as RecordFormatError {
            throw error
        } catch let error as ZstdFailure {
            throw .decompressionFailed(error.message)
        } catch {
            throw .malformedEnvelope("\(error)")
        }
    }

    /// Decodes the record stored at `offset`.
    func decode(offset: UInt64, _ record: UnsafeRawBufferPointer, _ txn: borrowing Transaction) throws(AnnalsError)
        -> RecordedEvent
    {
        try decode(offset: offset, record, dictionary: { id in try registry.dictionary(id, txn) })
    }

    /// Decodes the record stored at `offset`, looking dictionaries up through `dictionary`.
    func decode(
        offset: UInt64, _ record: UnsafeRawBufferPointer, dictionary: (UInt32) throws -> ZstdDictionary
    ) throws(AnnalsError) -> RecordedEvent {
        do {
            return try withPayload(record, dictionary: dictionary) { _, payload in
                try Envelope.decode(payload, offset: offset, identity: identity)
            }
        } catch {
            throw .corruptRecord(offset: offset, reason: error.description)
        }
    }
}
