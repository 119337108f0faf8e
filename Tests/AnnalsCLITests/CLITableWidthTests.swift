import Foundation
import Testing

@testable import Annals

/// `--format table` aligns its columns by terminal columns: CJK ids take two each, so the columns after them stay in
/// line, and a long one is cut to its column's width; offsets and counts are never cut, and a long value is kept
/// apart from the next column.
@Suite("CLI: tables with wide characters")
struct CLITableWidthTests {
    /// The terminal columns `text` takes, for the ASCII, kana and CJK ideographs these tests use.
    private static func columns(_ text: Substring) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            total + ((0x3040...0x30FF).contains(scalar.value) || (0x4E00...0x9FFF).contains(scalar.value) ? 2 : 1)
        }
    }

    @Test func eventsAndThingsStayAlignedAfterWideIds() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([
                #"{"type":"a.b","actorId":"日本語の長いアクター名です","targetId":"t1"}"#,
                #"{"type":"a.b","actorId":"bob","targetId":"t2"}"#,
                #"{"type":"thing.created","targetId":"東京","metadata":{"thingType":"city"}}"#,
                #"{"type":"thing.created","targetId":"paris","metadata":{"thingType":"city"}}"#,
            ])
            let read = try fx.annals("read", "--format", "table")
            #expect(read.status == Exit.ok, "\(read)")
            let rows = read.lines.dropFirst()
            #expect(rows.count == 4)
            for (row, target) in zip(rows, ["t1", "t2", "東京", "paris"]) {
                // OFFSET, TIME, TYPE and ACTOR take 8 + 25 + 26 + 14 columns.
                let before = try #require(row.range(of: " " + target + " ")).lowerBound
                #expect(Self.columns(row[..<before]) + 1 == 73, "\(row)")
            }
            #expect(
                rows.first?.contains("日本語の長い… ") == true, "a long actor is cut to 13 columns, marked: \(read)")

            let things = try fx.annals("things", "--format", "table")
            #expect(things.status == Exit.ok, "\(things)")
            for row in things.lines.dropFirst() {
                let type = try #require(row.range(of: "city")).lowerBound
                #expect(
                    Self.columns(row[..<type]) == 7, "the TYPE column starts after ID's 5 columns and 2 spaces: \(row)")
            }
        }
    }

    /// In `knowledge` and `search` tables the text column is cut at 60 columns, and the others at 40, as elsewhere.
    @Test func onlyTheTextColumnOfKnowledgeIsWider() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = String(repeating: "k", count: 50)
            let text = "lamp " + String(repeating: "x", count: 70)
            try fx.append([
                #"{"type":"thing.created","targetId":"lamp","metadata":{"thingType":"device"}}"#,
                #"{"type":"knowledge.added","targetId":"\#(id)","metadata":{"thingId":"lamp","text":"\#(text)"}}"#,
            ])
            for arguments in [["knowledge"], ["search", "lamp"]] {
                let table = try fx.annals(arguments + ["--format", "table"], stdinBytes: [])
                #expect(table.status == Exit.ok, "\(table)")
                let row = try #require(table.lines.dropFirst().first)
                #expect(row.contains(String(repeating: "k", count: 39) + "… "), "\(arguments): \(row)")
                #expect(row.hasSuffix(" lamp " + String(repeating: "x", count: 54) + "…"), "\(arguments): \(row)")
            }
        }
    }

    /// `read --format table` prints offsets of eight digits and more whole (12345678 cut to 1234567 would read as
    /// another offset), with the OFFSET column as wide as the last offset needs, so the TIME column stays in line.
    /// A log of ten million events is too slow to build: the record of offset 2 is copied, behind the engine's back,
    /// under two such offsets (read prints each record under its key).
    @Test func readPrintsOffsetsOfEightDigitsAndMoreWhole() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            let store = try EventStore(path: fx.store)
            try store.write { txn in
                guard let record = try txn.get(store.schema.events, key: UInt64(2).bigEndianBytes) else { return }
                for offset in [UInt64(12_345_678), 123_456_789] {
                    try txn.put(store.schema.events, key: offset.bigEndianBytes, value: record)
                }
            }
            store.close()
            let read = try fx.annals("read", "--format", "table")
            #expect(read.status == Exit.ok, "\(read)")
            let lines = read.lines
            #expect(
                lines.dropFirst().map { $0.prefix { $0 != " " } } == ["1", "2", "12345678", "123456789"], "\(read)")
            let time = try #require(lines.first?.range(of: "TIME")).lowerBound
            #expect(lines.first?[..<time] == "OFFSET    ", "nine digits and a space: \(read)")
            for row in lines.dropFirst() {
                #expect(row.range(of: " 20")?.upperBound == row.index(time, offsetBy: 2), "TIME in line: \(row)")
            }
        }
    }

    /// `stats --format table` measures its TYPE column: as wide as the longest type up to 40 columns, a longer one
    /// cut with `…`, and two spaces before every count (a type cut at a fixed width ran into its count).
    @Test func statsKeepsALongTypeApartFromItsCount() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let long = "billing.invoice." + String(repeating: "line_item_adjusted.", count: 3) + "v2"
            try fx.append([eventLine(type: long), eventLine(type: long), eventLine(type: "a.b")])
            let stats = try fx.annals("stats", "--format", "table")
            #expect(stats.status == Exit.ok, "\(stats)")
            let lines = stats.lines
            let header = try #require(lines.firstIndex { $0.hasPrefix("TYPE") }, "\(stats)")
            let title = "TYPE" + String(repeating: " ", count: 38) + "EVENTS"
            #expect(
                Array(lines[header...].prefix(3)) == [
                    title, long.prefix(39) + "…  2", "a.b" + String(repeating: " ", count: 39) + "1",
                ], "\(stats)")
        }
    }

    /// `audit --format table` measures its columns in terminal columns and cuts longer values with `…`: the EVENTS
    /// column starts at column 27 after `東京` as after `bob` and after an actor too long for its column, and a long
    /// type stays in its column, apart from its count.
    @Test func auditColumnsAreMeasuredAndCut() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let actor = "service-account-" + String(repeating: "x", count: 24)
            let type = "billing.invoice." + String(repeating: "line_item_adjusted.", count: 2) + "v2"
            try fx.append([
                eventLine(type: "a.b", actor: "東京"), eventLine(type: "a.b", actor: "bob"),
                eventLine(type: type, actor: actor),
            ])
            let audit = try fx.annals("audit", "--format", "table")
            #expect(audit.status == Exit.ok, "\(audit)")
            let lines = audit.lines
            for name in ["東京", "bob", actor.prefix(24) + "…"] {
                let row = try #require(lines.first { $0.hasPrefix(name + " ") }, "\(name): \(audit)")
                let count = try #require(row.range(of: " 1 ")).lowerBound
                #expect(Self.columns(row[..<count]) + 1 == 26, "EVENTS starts at column 27: \(row)")
            }
            // Under its actor (indented four columns, a 32-column cell) and in the TYPE section (a 36-column cell).
            #expect(lines.contains("    " + type.prefix(30) + "… 1"), "\(audit)")
            #expect(lines.contains(type.prefix(34) + "… 1"), "\(audit)")
        }
    }
}
