import LMDB

/// What checking one record found on its own: its header, whether its payload reads (decompression, CRC-32C) and
/// its envelope decodes, and its link computed along the chain of the worker that checked it.
///
/// Workers check a chunk's records in ranges, on every core, each following the chain from the start of its range
/// (the reporting pass's state for the first range, an unknown hash for the others, which the first checkpoint's
/// whole hash replaces). The reporting pass then takes the records in order and uses a link only if it was computed
/// from the same previous hash it has; otherwise it computes it again.
struct RecordCheck {
    /// The header, or why it does not read.
    var header: Result<RecordHeader, RecordFormatError>
    /// Why the payload does not read (a decompression, checksum or dictionary failure), if it does not.
    var payloadFailure: RecordFormatError?
    /// Why the envelope or its metadata does not decode, if they do not.
    var envelopeFailure: RecordFormatError?
    /// The previous hash the worker linked this record with, and the link it computed from it (`nil` when the
    /// worker's chain was unknown here or the payload did not read).
    var linkedFrom: ChainHash?
    var computed: ChainHash?

    /// Checks the record stored at `offset`, moving the worker's `chain` on past it, and hands its event to
    /// `intact` when its envelope and metadata decode.
    init(
        offset: UInt64, _ record: UnsafeRawBufferPointer, decoder: RecordDecoder,
        dictionary: (UInt32) throws -> ZstdDictionary, identity: EventIdentity, chain: inout ChainLinkState,
        intact: ((RecordedEvent) -> Void)?
    ) {
        let header: RecordHeader
        do {
            header = try RecordHeader.read(record)
        } catch {
            self.header = .failure(error)
            chain.skipUnreadable()
            return
        }
        self.header = .success(header)
        let before = chain.enter(header)
        linkedFrom = before.previousHash
        var checked = self
        do throws(RecordFormatError) {
            try decoder.withPayload(record, dictionary: dictionary) { _, payload in
                do throws(RecordFormatError) {
                    let event = try Envelope.decode(payload, offset: offset, identity: identity)
                    // Reads leave this to verify (``Envelope/checkMetadata(_:)``).
                    try Envelope.checkMetadata(event.metadataJSON)
                    intact?(event)
                } catch {
                    checked.envelopeFailure = error
                }
                guard let previous = before.previousHash else { return }
                let computed = previous.next(offset: offset, payload: payload)
                checked.computed = computed
                _ = chain.link(header, computed: computed, before: before)
            }
        } catch {
            checked.payloadFailure = error
        }
        self = checked
    }

    /// The kind of problem a payload that does not read is.
    static func kind(of error: RecordFormatError) -> VerificationProblem.Kind {
        switch error {
        case .checksumMismatch: .checksum
        case .decompressionFailed: .decompression
        case .unknownDictionary, .unloadableDictionary, .unreadableDictionary, .dictionaryMismatch, .truncatedHeader,
            .unknownCodec, .unknownFormatVersion:
            .header
        case .malformedEnvelope: .envelope
        }
    }

    /// Cuts `count` records into at most `workers` ranges, each starting at the checkpoint nearest the even cut
    /// when one is within a checkpoint interval of it: a range that starts at one links its records from the
    /// checkpoint's whole hash, so none of them is linked again by the reporting pass.
    static func ranges(count: Int, workers: Int, offset: (Int) -> UInt64) -> [Range<Int>] {
        var starts = [0]
        for worker in 1..<max(1, workers) {
            let even = count * worker / workers
            let reach = Int(RecordHeader.checkpointInterval)
            let nearest = (0...reach).lazy.flatMap { distance in [even - distance, even + distance] }.first { index in
                index > starts.last! && index < count && RecordHeader.isCheckpoint(offset(index))
            }
            let start = nearest ?? even
            if start > starts.last! && start < count { starts.append(start) }
        }
        return zip(starts, starts.dropFirst() + [count]).map { $0..<$1 }
    }
}
