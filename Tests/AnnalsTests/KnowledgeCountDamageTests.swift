import Foundation
import Testing

@testable import Annals

/// Damaged counts and vector rows of the knowledge view are malformed records (a projection to rebuild), not values
/// that trap when a search or the writer converts them to `Int`.
@Suite struct KnowledgeCountDamageTests {
    private static let past = (UInt64(Int64.max) + 1).bigEndianBytes

    @Test func aCountPastInt64IsAMalformedRecord() throws {
        let knowledge = MemoryTables(tableCount: KnowledgeProjection().tableNames.count)
        try knowledge.put(KnowledgeProjection.stats, key: KnowledgeProjection.documentsKey, value: Self.past)
        #expect(throws: OntologyRecordError.self) {
            _ = try EventStore.bm25("reading lamp", knowledge) { _ in true }
        }
        try knowledge.put(
            KnowledgeProjection.stats, key: KnowledgeProjection.documentsKey, value: UInt64(1).bigEndianBytes)
        try knowledge.put(
            KnowledgeProjection.stats, key: KnowledgeProjection.lengthKey, value: UInt64(3).bigEndianBytes)
        try knowledge.put(KnowledgeProjection.termStats, key: Array("lamp".utf8), value: Self.past)
        do {
            _ = try EventStore.bm25("reading lamp", knowledge) { _ in true }
            Issue.record("a damaged term count was used")
        } catch let error as OntologyRecordError {
            #expect(error.description == "the term-stats record 'lamp' is malformed")
        }
    }

    @Test func aVectorRowClaimingHugeDimensionsIsMalformed() throws {
        var writer = ByteWriter(capacity: 32)
        writer.u8(1)
        writer.optionalString(nil)
        writer.varint(0)
        writer.string("lamp")
        writer.varint(3)
        writer.u8(VectorEncoding.float32.rawValue)
        writer.varint(UInt64(Int64.max) + 1)
        let bytes = writer.bytes
        #expect(throws: OntologyRecordError.self) {
            _ = try bytes.withUnsafeBytes { try VectorRow.decode($0, id: "manual") }
        }
    }
}
