import Foundation
import LMDB
import Testing

@testable import Annals

/// A record naming a stored dictionary that zstd refuses to load: damage to the header's dictionary, as a missing or
/// inconsistent one is, not to the envelope it could not even decompress.
@Suite struct UnloadableDictionaryTests {
    /// Stores dictionary 1 as zstd's dictionary magic followed by bytes that are no entropy tables, and rewrites the
    /// record at `offset` as compressed with it.
    private func damage(_ store: EventStore, offset: UInt64) throws {
        try store.write { txn in
            let magic: [UInt8] = [0x37, 0xA4, 0x30, 0xEC]
            let dictionary = magic + [0, 0, 0, 1] + [UInt8](repeating: 0xFF, count: 256)
            try txn.put(store.schema.dictionaries, key: UInt32(1).bigEndianBytes, value: dictionary)
            let record = try #require(try store.record(at: offset, txn).map { Array($0) })
            var header = try record.withUnsafeBytes { try RecordHeader.read($0) }
            header.codec = .zstdDictionary
            header.dictionaryID = 1
            var value = [UInt8](repeating: 0, count: header.size)
            value.withUnsafeMutableBytes { header.write(to: $0) }
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value + record[header.size...])
        }
    }

    @Test func aDictionaryZstdRefusesIsAHeaderProblem() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            try damage(store, offset: 5)
            let report = try store.verify()
            #expect(report.problems.first?.offset == 5, "\(report.problems)")
            #expect(report.problems.first?.kind == .header)
            #expect(report.problems.first?.detail == "dictionary 1 is stored, but zstd cannot load it")
            #expect(
                throws: AnnalsError.corruptRecord(offset: 5, reason: "dictionary 1 is stored, but zstd cannot load it")
            ) {
                try store.event(at: 5)
            }
        }
    }

    @Test func aDictionaryTheStoreCannotReadIsNamedNotCalledAMalformedEnvelope() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            try damage(store, offset: 5)
            let record = try #require(
                try store.environment.read { txn in try store.record(at: 5, txn).map { Array($0) } })
            let decoder = store.makeDecoder()
            let failure = LMDBError(code: .pageNotFound, operation: "mdb_get(dictionaries)")
            #expect(throws: RecordFormatError.unreadableDictionary(1, failure.description)) {
                try record.withUnsafeBytes { bytes in
                    try decoder.withPayload(bytes, dictionary: { _ in throw failure }) { _, _ in () }
                }
            }
        }
    }
}
