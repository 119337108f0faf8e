import Foundation
import Testing

/// The commands that query the views check the pages they read first: a damaged page of a view stops them with exit 5
/// and advice to rebuild it, instead of crashing inside LMDB.
@Suite struct CLIViewPagesTests {
    @Test func aDamagedViewPageStopsItsQueriesUntilItIsRebuilt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            var lines = thingsWithAViewOnlyRecord()
            lines += (0..<5).map { i in
                eventLine(
                    type: "connection.created", actor: "u", target: "link-\(i)", group: "org-a",
                    metadata: #"{"fromId":"thing-1","toId":"thing-\#(i + 2)","connectionType":"powers"}"#)
            }
            try fx.append(lines)
            #expect(try fx.annals("things").objects().count == 40)

            let damaged = try damagePages(holding: viewOnlyRecord, in: fx.store)
            try #require(damaged > 0, "the view's record was not found in data.mdb")

            for query in [
                ["things"], ["things", "--type", "lamp"], ["graph", "thing-1"], ["plugin", "list", "--group", "org-a"],
            ] {
                let refused = try fx.run(query + ["--store", fx.store])
                #expect(refused.status == Exit.storage, "\(query): \(refused)")
                #expect(refused.errors.contains("the pages of the things"), "\(query): \(refused)")
                #expect(refused.errors.contains("annals rebuild things"), "\(query): \(refused)")
            }
            let connections = try fx.annals("connections")
            #expect(connections.status == Exit.ok, "another view answers: \(connections)")
            #expect(connections.objects().count == 5)

            #expect(try fx.annals("rebuild", "things").status == Exit.ok)
            let again = try fx.annals("things")
            #expect(again.status == Exit.ok, "the rebuilt view answers: \(again)")
            #expect(again.objects().count == 40)
            let thing = try fx.annals("things", "--id", "thing-7").object()
            #expect(thing.object("properties")?.string("b") == "marker-41d7", "\(thing)")
        }
    }
}
