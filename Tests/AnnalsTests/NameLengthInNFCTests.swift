import Foundation
import Testing

@testable import Annals

/// Names and ids fit their limits (64 and 160 bytes) in normalization form C too, the spelling views store: a
/// composition exclusion such as U+1D160 (4 bytes) is 12 bytes in NFC, so a name of 64 bytes as appended could be 192
/// bytes stored and, with long ids, make an index key longer than LMDB's 511 bytes.
@Suite("Names and ids fit their limits in NFC")
struct NameLengthInNFCTests {
    /// 16 × U+1D160: 64 bytes as given, 192 in NFC.
    static let longInNFC = String(repeating: "\u{1D160}", count: 16)

    /// Expects `event` to be rejected by `projection`, naming `field` and the NFC length.
    private static func expectRejected(
        _ event: NewEvent, by projection: String, field: String, bytes: Int, maximum: Int, in store: EventStore,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await store.append(event)
            Issue.record("\(event.type) was appended", sourceLocation: sourceLocation)
        } catch {
            let reason = "field '\(field)': is \(bytes) bytes in NFC, the most is \(maximum)"
            #expect(
                error == .rejectedEvent(index: 0, type: event.type, projection: projection, reason: reason),
                sourceLocation: sourceLocation)
        }
    }

    @Test func aConnectionTypeLongerThan64BytesInNFCIsRejectedNamingTheField() async throws {
        try await withStore { store, _ in
            #expect(Self.longInNFC.utf8.count == 64 && Self.longInNFC.canonicalSpelling.utf8.count == 192)
            let a = String(repeating: "a", count: 160)
            let b = String(repeating: "b", count: 160)
            _ = try await store.append(contentsOf: [Vocabulary.thing(a), Vocabulary.thing(b)])
            // It failed as "apply failed: projection key of 514 bytes in p.connections.0.from (must be 1–511 bytes)".
            await Self.expectRejected(
                Vocabulary.connect(String(repeating: "c", count: 160), from: a, to: b, type: Self.longInNFC),
                by: "connections", field: "metadata.connectionType", bytes: 192, maximum: 64, in: store)
            // With short ids the key fitted, and the 192-byte type was stored.
            await Self.expectRejected(
                Vocabulary.connect("c", from: a, to: b, type: Self.longInNFC),
                by: "connections", field: "metadata.connectionType", bytes: 192, maximum: 64, in: store)
            #expect(try store.connections().isEmpty)
        }
    }

    @Test func typesStatusesLabelsAndMetadataIdsAreJudgedInNFC() async throws {
        try await withStore { store, _ in
            _ = try await store.append(Vocabulary.thing("t"))
            await Self.expectRejected(
                Vocabulary.thing("u", type: Self.longInNFC), by: "things", field: "metadata.thingType", bytes: 192,
                maximum: 64, in: store)
            await Self.expectRejected(
                Vocabulary.thing("u", status: Self.longInNFC), by: "things", field: "metadata.status", bytes: 192,
                maximum: 64, in: store)
            await Self.expectRejected(
                Vocabulary.update("t", status: Self.longInNFC), by: "things", field: "metadata.status", bytes: 192,
                maximum: 64, in: store)
            await Self.expectRejected(
                Vocabulary.knowledge("k", about: "t", text: "x", labels: ["ok", Self.longInNFC]), by: "knowledge",
                field: "metadata.labels[1]", bytes: 192, maximum: 64, in: store)
            // 40 × U+1D160: 160 bytes as given, 480 in NFC.
            let longID = String(repeating: "\u{1D160}", count: 40)
            await Self.expectRejected(
                Vocabulary.knowledge("k", about: longID, text: "x"), by: "knowledge", field: "metadata.thingId",
                bytes: 480, maximum: 160, in: store)
            // A name that fits in NFC is stored in NFC.
            let fits = String(repeating: "\u{1D160}", count: 5)
            _ = try await store.append(Vocabulary.thing("v", type: fits))
            #expect(try store.thing("v")?.thingType.utf8.count == 60)
        }
    }

    /// A replay applies an event appended before this check as it was applied: a rebuild keeps the thing.
    @Test func aReplayKeepsANameAppendedLongerInNFC() throws {
        let tables = MemoryTables(tableCount: ThingsProjection().tableNames.count)
        let event = ProjectedEvent(
            offset: 1, id: UUID(), type: "thing.created", actorId: nil, targetId: "t", groupId: nil, timestamp: 0,
            version: 1, metadata: ["thingType": .string(Self.longInNFC)])
        try ThingsProjection().apply(event, to: tables, context: ProjectionContext(mode: .replay))
        let thing = try #require(try ThingsProjection.thing("t", in: tables))
        #expect(thing.thingType.utf8.count == 192)
        // Appended now, it is refused.
        #expect(throws: ProjectionRejection(field: "metadata.thingType", "is 192 bytes in NFC, the most is 64")) {
            try ThingsProjection().apply(
                event, to: MemoryTables(tableCount: 4), context: ProjectionContext(mode: .live))
        }
    }

    /// A query's name is refused (the CLI exits 64) exactly when its NFC is longer than 64 bytes, whatever spelling
    /// it is given in.
    @Test func aQueryNameIsRefusedWhenItsNFCIsTooLong() {
        #expect(OntologyEventType.nameProblem(Self.longInNFC) == "must be 1–64 bytes, not 192")
        #expect(OntologyEventType.nameProblem(String(repeating: "\u{1D160}", count: 5)) == nil)
        // 66 bytes decomposed, 44 in NFC: an event spelling it in NFC can carry it.
        #expect(OntologyEventType.nameProblem(String(repeating: "e\u{301}", count: 22)) == nil)
    }

    /// Replays into memory refuse a key LMDB cannot store, as LMDB's tables do, rather than when a rebuild flushes.
    @Test func memoryTablesRefuseAKeyLongerThan511Bytes() throws {
        let tables = MemoryTables(tableCount: 1)
        try tables.put(ProjectionTable(0), key: Array(repeating: 1, count: 511), value: [])
        #expect(throws: AnnalsError.invalidArgument("projection key of 512 bytes in table 0 (must be 1–511 bytes)")) {
            try tables.put(ProjectionTable(0), key: Array(repeating: 1, count: 512), value: [])
        }
        #expect(throws: AnnalsError.self) { try tables.put(ProjectionTable(0), key: [], value: []) }
    }
}
