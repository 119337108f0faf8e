import Foundation
import Testing

@testable import Annals

/// An event a projection may reject is appended only while that projection's view is live: `annals append` next to
/// an application whose knowledge view has an embedder of its own refuses `knowledge.*` (exit 9), and the
/// application's own append of one, while `annals append` left its view behind, waits for the catch-up and is
/// checked. Before, both were appended unchecked, and the catch-up replayed (never rejecting) knowledge about a thing
/// that does not exist into an item that search returned and no `thing.deleted` removed.
@Suite("CLI: appends checked by views that are not live")
struct CLIAppendsCheckedByViewsNotLiveTests {
    /// The application's options: the built-in views, the knowledge view embedding with 64 dimensions.
    static let application = StoreOptions(
        projections: OntologyProjections.standard(embedder: FeatureHashingEmbedder(dimensions: 64)),
        snapshotInterval: 0)

    /// `thing.created` of `id`, as the application appends it.
    static func newThing(_ id: String) -> NewEvent {
        NewEvent(type: "thing.created", targetId: id, metadata: ["thingType": "doc"])
    }

    /// `knowledge.added` of `id` about `thing`, as the application appends it.
    static func newKnowledge(_ id: String, about thing: String, text: String) -> NewEvent {
        NewEvent(type: "knowledge.added", targetId: id, metadata: ["thingId": .string(thing), "text": .string(text)])
    }

    /// `thing.created` of `id`, as an input line of `annals append`.
    static func thing(_ id: String) -> String {
        eventLine(type: "thing.created", target: id, metadata: #"{"thingType":"doc"}"#)
    }

    /// `knowledge.added` of `id` about `thing`, as an input line of `annals append`.
    static func knowledge(_ id: String, about thing: String, text: String) -> String {
        eventLine(
            type: "knowledge.added", target: id, metadata: "{\"thingId\":\(jsonString(thing)),\"text\":\"\(text)\"}")
    }

    @Test(.timeLimit(.minutes(5)))
    func theCLIRefusesKnowledgeEventsAnApplicationsKnowledgeViewChecks() throws {
        try withCLIFixture { fx in
            do {
                let app = try EventStore(path: fx.store, options: Self.application)
                _ = try app.appendAndWait([
                    Self.newThing("t"), Self.newKnowledge("k-1", about: "t", text: "lmdb pages"),
                ])
                app.close()
            }
            for line in [
                Self.knowledge("k-ghost", about: "ghost", text: "orphan text"),
                Self.knowledge("k-2", about: "t", text: "zstd frames"),
                eventLine(type: "knowledge.deleted", target: "k-1"),
            ] {
                let result = try fx.run(["append", "--store", fx.store], stdin: Array((line + "\n").utf8))
                #expect(result.status == Exit.projectionUnavailable, "\(result)")
                #expect(result.errors.contains("projection 'knowledge' is unavailable"), "\(result)")
                #expect(result.errors.contains("configuration 'feature-hashing-v1-64;f16'"), "\(result)")
            }
            #expect(try fx.headOffset() == 2)
            // Events the knowledge view does not check are appended: things, connections, and a thing's deletion,
            // which it only follows (the application's catch-up then deletes the thing's knowledge).
            try fx.append([
                Self.thing("u"),
                eventLine(
                    type: "connection.created", target: "c",
                    metadata: #"{"fromId":"t","toId":"u","connectionType":"x"}"#),
                eventLine(type: "thing.deleted", target: "t"),
            ])
            let app = try EventStore(path: fx.store, options: Self.application)
            defer { app.close() }
            #expect(try app.knowledge().isEmpty)
            #expect(try app.search(SearchQuery("orphan")).isEmpty)
            #expect(try app.things().map(\.id) == ["u"])
        }
    }

    /// `annals append` leaves the application's knowledge view behind (it applies only the views it has): the
    /// application's next knowledge event waits for the catch-up, and is then checked against the caught-up view.
    @Test(.timeLimit(.minutes(5)))
    func anApplicationsAppendWaitsForItsViewBehindAndIsChecked() throws {
        try withCLIFixture { fx in
            let app = try EventStore(path: fx.store, options: Self.application)
            defer { app.close() }
            _ = try app.appendAndWait([Self.newThing("t")])
            try fx.append([Self.thing("u")])
            #expect {
                try app.appendAndWait([Self.newKnowledge("k-ghost", about: "ghost", text: "orphan text")])
            } throws: { error in
                guard case .rejectedEvent(0, "knowledge.added", "knowledge", let reason) = error as? AnnalsError else {
                    return false
                }
                return reason == "field 'metadata.thingId': thing 'ghost' does not exist"
            }
            let receipt = try app.appendAndWait([Self.newKnowledge("k-u", about: "u", text: "zstd frames")])[0]
            #expect(receipt.offset == 3)
            #expect(try app.knowledge().map(\.id) == ["k-u"])
            #expect(try app.search(SearchQuery("zstd")).map(\.item.id) == ["k-u"])
            // Appends of events the view does not check did not wait: the view may still be behind for them.
            try fx.append([Self.thing("v")])
            _ = try app.appendAndWait([Self.newThing("w")])
            #expect(try app.things().map(\.id) == ["t", "u", "v", "w"])
        }
    }

    /// A view whose catch-up failed cannot check anything: an append of an event its projection may reject fails at
    /// once with the catch-up's failure, and does not try the catch-up again.
    @Test(.timeLimit(.minutes(5)))
    func anAppendTheViewChecksFailsWhenItsCatchUpFailed() throws {
        try withCLIFixture { fx in
            do {
                let store = try CLIViewCatchUpTests.open(fx.store)
                _ = try store.appendAndWait((0..<5).map { _ in NewEvent(type: "item.created") })
                store.close()
            }
            let replayed = Locked(0)
            let counter = CLIViewCatchUpTests.EventCounter(failing: 7, replayed: replayed, rejects: true)
            let store = try CLIViewCatchUpTests.open(fx.store, counter)
            defer { store.close() }
            try fx.append(sampleLines(3))
            let failure = CLIViewCatchUpTests.isFailedCatchUpFrom5
            #expect(performing: { try store.appendAndWait([NewEvent(type: "item.created")]) }, throws: failure)
            let attempts = replayed.withLock { $0 }
            #expect(performing: { try store.appendAndWait([NewEvent(type: "item.created")]) }, throws: failure)
            #expect(replayed.withLock { $0 } == attempts)
            #expect(try store.head().offset == 8)
        }
    }
}
