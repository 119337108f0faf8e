import Foundation
import Testing

@testable import Annals

/// `EventStore.checkViewPages`: the pages the queries of the views read, checked before reading them (a damaged page
/// is refused by the CLI's query commands: CLIViewPagesTests).
@Suite struct ViewPagesTests {
    private func fill(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: [
            Vocabulary.thing("lamp-1", properties: ["watts": 40]), Vocabulary.thing("lamp-2"),
            Vocabulary.connect("link-1", from: "lamp-1", to: "lamp-2"),
            Vocabulary.knowledge("note-1", about: "lamp-1", text: "a warm reading lamp", labels: ["home"]),
        ])
    }

    @Test func soundViewsPassEveryCheck() async throws {
        try await withStore { store, _ in
            try await fill(store)
            try store.checkViewPages(of: ["things", "connections", "knowledge"])
            try store.checkViewPages(of: ["knowledge"], tables: ["knowledge", "by-thing"])
            try store.checkViewPages(of: [])
            for (view, id) in [("things", "lamp-1"), ("connections", "link-1"), ("knowledge", "no-such-item")] {
                try store.checkViewPages(of: view, id: id)
            }
        }
    }

    @Test func anUnknownViewIsUnavailable() async throws {
        try await withStore { store, _ in
            try await fill(store)
            #expect {
                try store.checkViewPages(of: ["gadgets"])
            } throws: { error in
                guard case .projectionUnavailable(let name, _) = error as? AnnalsError else { return false }
                return name == "gadgets"
            }
            #expect(throws: AnnalsError.self) { try store.checkViewPages(of: "gadgets", id: "x") }
        }
    }

    @Test func viewsAreNamedAsAList() {
        #expect(EventStore.naturalList([]) == "")
        #expect(EventStore.naturalList(["things"]) == "things")
        #expect(EventStore.naturalList(["things", "connections"]) == "things and connections")
        #expect(EventStore.naturalList(["things", "connections", "knowledge"]) == "things, connections and knowledge")
    }
}
