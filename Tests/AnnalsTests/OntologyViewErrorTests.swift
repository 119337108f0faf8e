import Foundation
import Testing

@testable import Annals

/// What `body` throws, as the ``AnnalsError`` its signature promises: a query declared with untyped `throws` does not
/// compile in a closure declared `throws(AnnalsError)`, so these tests check the signatures as well as the errors.
private func caught(_ body: () throws(AnnalsError) -> Void) -> AnnalsError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// The queries of ``OntologyView`` throw ``AnnalsError`` (typed), on a live view and on a view as of an offset, so an
/// embedder can switch over the error; a damaged record is ``AnnalsError/projectionUnavailable(name:reason:)``, not an
/// internal decoding error.
@Suite struct OntologyViewErrorTests {
    @Test func aViewAsOfAnOffsetThrowsTypedErrors() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("lamp"), Vocabulary.thing("switch"),
                Vocabulary.connect("switch-lamp", from: "switch", to: "lamp"),
                Vocabulary.knowledge("manual", about: "lamp", text: "a reading lamp"),
            ])
            let view = try store.state(at: 4).view
            #expect(
                caught { () throws(AnnalsError) in _ = try view.things(ThingFilter(limit: -1)) }
                    == .invalidArgument("ThingFilter.limit must not be negative, got -1"))
            #expect(
                caught { () throws(AnnalsError) in _ = try view.connections(ConnectionFilter(limit: -2)) }
                    == .invalidArgument("ConnectionFilter.limit must not be negative, got -2"))
            #expect(
                caught { () throws(AnnalsError) in _ = try view.knowledge(KnowledgeFilter(limit: -3)) }
                    == .invalidArgument("KnowledgeFilter.limit must not be negative, got -3"))
            #expect(
                caught { () throws(AnnalsError) in _ = try view.neighbourhood(of: "lamp", depth: 17) }
                    == .invalidArgument("depth 17 is outside 0…16"))
            #expect(caught { () throws(AnnalsError) in _ = try view.thing("lamp") } == nil)
            #expect(caught { () throws(AnnalsError) in _ = try view.thingIDs(startingWith: "l") } == nil)
            #expect(caught { () throws(AnnalsError) in _ = try view.connection("switch-lamp") } == nil)
            #expect(caught { () throws(AnnalsError) in _ = try view.knowledgeItem("manual") } == nil)
        }
    }

    @Test func aLiveViewThrowsTypedErrorsInsideItsReadTransaction() async throws {
        try await withStore { store, _ in
            _ = try await store.append(Vocabulary.thing("lamp"))
            let errors = try store.read { view in
                (
                    caught { () throws(AnnalsError) in _ = try view.neighbourhood(of: "lamp", depth: -1) },
                    caught { () throws(AnnalsError) in _ = try view.things(ThingFilter(limit: -1)) }
                )
            }
            #expect(errors.0 == .invalidArgument("depth -1 is outside 0…16"))
            #expect(errors.1 == .invalidArgument("ThingFilter.limit must not be negative, got -1"))
        }
    }

    @Test func aMalformedRecordIsAProjectionToRebuild() throws {
        let malformed: [UInt8] = [9, 0, 0]
        let things = MemoryTables(tableCount: ThingsProjection().tableNames.count)
        try things.put(ThingsProjection.things, key: Array("lamp".utf8), value: malformed)
        let connections = MemoryTables(tableCount: ConnectionsProjection().tableNames.count)
        try connections.put(ConnectionsProjection.connections, key: Array("switch-lamp".utf8), value: malformed)
        let knowledge = MemoryTables(tableCount: KnowledgeProjection().tableNames.count)
        try knowledge.put(KnowledgeProjection.items, key: Array("manual".utf8), value: malformed)
        let view = OntologyView(things: things, connections: connections, knowledge: knowledge, offset: 1)

        func malformedRecord(_ table: String, _ key: String) -> AnnalsError {
            .projectionUnavailable(
                name: table, reason: "the \(table) record '\(key)' is malformed; run 'annals rebuild \(table)'")
        }
        #expect(caught { () throws(AnnalsError) in _ = try view.thing("lamp") } == malformedRecord("things", "lamp"))
        #expect(caught { () throws(AnnalsError) in _ = try view.things() } == malformedRecord("things", "lamp"))
        #expect(
            caught { () throws(AnnalsError) in _ = try view.neighbourhood(of: "lamp") }
                == malformedRecord("things", "lamp"))
        #expect(
            caught { () throws(AnnalsError) in _ = try view.connection("switch-lamp") }
                == malformedRecord("connections", "switch-lamp"))
        #expect(
            caught { () throws(AnnalsError) in _ = try view.connections() }
                == malformedRecord("connections", "switch-lamp"))
        #expect(
            caught { () throws(AnnalsError) in _ = try view.knowledgeItem("manual") }
                == malformedRecord("knowledge", "manual"))
        #expect(caught { () throws(AnnalsError) in _ = try view.knowledge() } == malformedRecord("knowledge", "manual"))
        #expect(
            caught { () throws(AnnalsError) in _ = try view.thingIDs(startingWith: "") } == nil,
            "ids are read without decoding the things")
    }
}
