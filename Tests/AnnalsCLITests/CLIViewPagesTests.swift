import Foundation
import Testing

/// The commands that query the views check the pages they read first: a damaged page of a view stops them with exit 5
/// and advice to rebuild it, instead of crashing inside LMDB.
@Suite struct CLIViewPagesTests {
    /// A page size of 4 KiB, as on the machines the tests run on.
    private let pageSize = 4_096

    /// The pages of `file` (after the two meta pages) that hold `needle`.
    private func pages(holding needle: [UInt8], in file: URL) throws -> [Int] {
        let bytes = try Data(contentsOf: file)
        var found: [Int] = []
        var start = 2 * pageSize
        while let range = bytes.range(of: Data(needle), in: start..<bytes.count) {
            found.append(range.lowerBound / pageSize)
            start = range.upperBound
        }
        return found
    }

    @Test func aDamagedViewPageStopsItsQueriesUntilItIsRebuilt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // The view's record of thing-7 holds both properties; no single event does, so only its page (and perhaps
            // a freed copy of it) holds them side by side.
            var lines = (0..<40).map { i in
                eventLine(
                    type: "thing.created", actor: "u", target: "thing-\(i)", group: "org-a",
                    metadata: #"{"thingType":"lamp","properties":{"a":"view-only-\#(i)"}}"#)
            }
            lines.append(
                eventLine(
                    type: "thing.updated", actor: "u", target: "thing-7",
                    metadata: #"{"properties":{"b":"marker-41d7"}}"#))
            lines += (0..<5).map { i in
                eventLine(
                    type: "connection.created", actor: "u", target: "link-\(i)", group: "org-a",
                    metadata: #"{"fromId":"thing-1","toId":"thing-\#(i + 2)","connectionType":"powers"}"#)
            }
            try fx.append(lines)
            #expect(try fx.annals("things").objects().count == 40)

            let file = URL(fileURLWithPath: fx.store + "/data.mdb")
            let damaged = try pages(holding: Array(#""a":"view-only-7","b":"marker-41d7""#.utf8), in: file)
            try #require(!damaged.isEmpty, "the view's record was not found in data.mdb")
            var data = [UInt8](try Data(contentsOf: file))
            // The high byte of each page's first node offset: past the page's end.
            for page in damaged { data[page * pageSize + 17] ^= 0x80 }
            try Data(data).write(to: file)

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
            #expect(try connections.objects().count == 5)

            #expect(try fx.annals("rebuild", "things").status == Exit.ok)
            let again = try fx.annals("things")
            #expect(again.status == Exit.ok, "the rebuilt view answers: \(again)")
            #expect(try again.objects().count == 40)
            let thing = try fx.annals("things", "--id", "thing-7").object()
            #expect(thing.object("properties")?.string("b") == "marker-41d7", "\(thing)")
        }
    }
}
