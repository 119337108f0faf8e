import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `annals cursors list|show|reset|delete`, and how `annals tail --cursor` advances a cursor.
@Suite("CLI: cursors")
struct CLICursorTests {
    /// Milliseconds since 1970 for an ISO 8601 time printed by the CLI.
    private func milliseconds(_ text: String?) -> Int64? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    @Test func listAndShowReportOffsetLagAndAckTime() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let none = try fx.annals("cursors", "list")
            #expect(none.status == Exit.ok && none.output.isEmpty && none.errors.isEmpty, "\(none)")
            let emptyTable = try fx.annals("cursors", "list", "--format", "table")
            #expect(emptyTable.status == Exit.ok, "\(emptyTable)")
            #expect(
                emptyTable.lines.count == 1 && emptyTable.lines[0].hasPrefix("NAME"), "only a header: \(emptyTable)")

            try fx.append(sampleLines(10))
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            #expect(try fx.annals("tail", "--cursor", "beta").offsets == Array(1...10))
            #expect(try fx.annals("tail", "--cursor", "alpha", "--limit", "3").offsets == [1, 2, 3])
            #expect(try fx.annals("cursors", "reset", "gamma", "--to", "7").status == Exit.ok)
            let after = Int64(Date().timeIntervalSince1970 * 1000)

            let list = try fx.annals("cursors", "list")
            #expect(list.status == Exit.ok && list.errors.isEmpty, "\(list)")
            let cursors = list.objects()
            #expect(cursors.map { $0.string("name") } == ["alpha", "beta", "gamma"], "by name: \(list)")
            #expect(cursors.map { $0.int("offset") } == [3, 10, 7])
            #expect(cursors.map { $0.int("lag") } == [7, 0, 3])
            for cursor in cursors {
                #expect(cursor.keys == ["name", "offset", "lag", "acknowledgedAt", "createdAt", "resets"], "\(cursor)")
                let acknowledged = try #require(milliseconds(cursor.string("acknowledgedAt")), "\(cursor)")
                let created = try #require(milliseconds(cursor.string("createdAt")), "\(cursor)")
                #expect(acknowledged >= before - 1 && acknowledged <= after + 1, "\(cursor)")
                #expect(created <= acknowledged, "\(cursor)")
            }

            // The lag follows the head.
            try fx.append(sampleLines(5, start: 10))
            #expect(try fx.annals("cursors", "list").objects().map { $0.int("lag") } == [12, 5, 8])

            // show prints the same line as list.
            let listed = try fx.annals("cursors", "list").lines
            for (index, name) in ["alpha", "beta", "gamma"].enumerated() {
                let show = try fx.annals("cursors", "show", name)
                #expect(show.status == Exit.ok && show.errors.isEmpty, "\(show)")
                #expect(show.lines == [listed[index]], "\(show)")
            }

            let table = try fx.annals("cursors", "list", "--format", "table")
            #expect(table.status == Exit.ok, "\(table)")
            #expect(table.lines.first?.split(separator: " ") == ["NAME", "OFFSET", "LAG", "LAST", "ACK"], "\(table)")
            let rows = table.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
            #expect(rows.map { $0.count } == [4, 4, 4], "\(table)")
            #expect(rows.map { $0[0] } == ["alpha", "beta", "gamma"])
            #expect(rows.map { $0[1] } == ["3", "10", "7"])
            #expect(rows.map { $0[2] } == ["12", "5", "8"])
            #expect(rows.map { $0[3] } == cursors.map { $0.string("acknowledgedAt") ?? "" })

            // A name of the longest length is shown whole, apart from the next column.
            let long = String(repeating: "n", count: 128)
            #expect(try fx.annals("cursors", "reset", long, "--to", "2").status == Exit.ok)
            let wide = try fx.annals("cursors", "list", "--format", "table")
            #expect(wide.lines.contains { $0.hasPrefix(long + "  2 ") }, "\(wide)")
        }
    }

    @Test func resetMovesACursorBackOrForward() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(10))
            #expect(try fx.annals("tail", "--cursor", "c", "--limit", "4").offsets == [1, 2, 3, 4])
            let created = try #require(try fx.cursor("c")?.string("createdAt"))

            let start = try fx.annals("cursors", "reset", "c", "--to", "start")
            #expect(start.status == Exit.ok && start.errors.isEmpty, "\(start)")
            let reset = try start.object()
            #expect(reset.string("name") == "c" && reset.int("offset") == 0 && reset.int("lag") == 10, "\(reset)")
            #expect(reset.string("createdAt") == created, "a reset keeps the creation time")
            #expect(reset.int("resets") == 1, "a reset is counted: \(reset)")
            #expect(
                try fx.annals("tail", "--cursor", "c", "--limit", "2").offsets == [1, 2], "replayed from the start")

            let end = try fx.annals("cursors", "reset", "c", "--to", "end").object()
            #expect(end.int("offset") == 10 && end.int("lag") == 0, "\(end)")
            #expect(try fx.annals("tail", "--cursor", "c").output.isEmpty)
            try fx.append(sampleLines(2, start: 10))
            #expect(try fx.annals("tail", "--cursor", "c").offsets == [11, 12])

            let back = try fx.annals("cursors", "reset", "c", "--to", "5").object()
            #expect(back.int("offset") == 5 && back.int("lag") == 7, "\(back)")
            #expect(try fx.cursor("c")?.int("offset") == 5)
            #expect(try fx.annals("tail", "--cursor", "c").offsets == Array(6...12))

            // reset creates a cursor that does not exist yet.
            let fresh = try fx.annals("cursors", "reset", "fresh", "--to", "3")
            #expect(fresh.status == Exit.ok, "\(fresh)")
            #expect(try fx.cursor("fresh")?.int("offset") == 3)
            #expect(try fx.annals("tail", "--cursor", "fresh", "--limit", "1").offsets == [4])
        }
    }

    @Test func deleteRemovesACursor() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(4))
            #expect(try fx.annals("tail", "--cursor", "gone").offsets == [1, 2, 3, 4])
            #expect(try fx.annals("tail", "--cursor", "kept", "--limit", "1").offsets == [1])

            let delete = try fx.annals("cursors", "delete", "gone")
            #expect(delete.status == Exit.ok && delete.errors.isEmpty, "\(delete)")
            #expect(try delete.object().string("deleted") == "gone")

            let show = try fx.annals("cursors", "show", "gone")
            #expect(show.status == Exit.notFound, "\(show)")
            #expect(show.output.isEmpty)
            #expect(show.errors.contains("no cursor named 'gone'"), "\(show)")
            #expect(try fx.annals("cursors", "list").objects().map { $0.string("name") } == ["kept"])
            let again = try fx.annals("cursors", "delete", "gone")
            #expect(again.status == Exit.notFound, "\(again)")

            // A deleted cursor starts over.
            #expect(try fx.annals("tail", "--cursor", "gone").offsets == [1, 2, 3, 4])
            #expect(try fx.cursor("kept")?.int("offset") == 1, "other cursors are untouched")
        }
    }

    @Test func showAndDeleteOfAMissingCursorAreNotFound() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            for command in ["show", "delete"] {
                let result = try fx.annals("cursors", command, "nope")
                #expect(result.status == Exit.notFound, "\(command): \(result)")
                #expect(result.output.isEmpty, "\(command): \(result)")
                #expect(result.errors.contains("no cursor named 'nope'"), "\(command): \(result)")
            }
            // And with no store at all.
            let missing = try fx.annals("cursors", "list", store: fx.path("no-store"))
            #expect(missing.status == Exit.notFound, "\(missing)")
        }
    }

    static let badResetArguments: [[String]] = [
        ["--to", "middle"],
        ["--to=-1"],
        ["--to", ""],
        ["--to", "1.5"],
        ["--to", "end2"],
        ["--to", "0x10"],
        ["--to", "2026-01-01"],
        [],
    ]

    @Test(arguments: badResetArguments)
    func resetWithABadTargetExits64(_ arguments: [String]) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            #expect(try fx.annals("tail", "--cursor", "c", "--limit", "2").offsets == [1, 2])
            for name in ["c", "new"] {
                let result = try fx.run(["cursors", "reset", name] + arguments + ["--store", fx.store])
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.output.isEmpty && !result.errors.isEmpty, "\(result)")
            }
            #expect(try fx.cursor("c")?.int("offset") == 2, "the cursor is unchanged")
            #expect(try fx.cursor("new") == nil, "no cursor is created")
        }
    }

    @Test func anInvalidCursorNameIsRejected() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            for arguments in [["show", "bad name"], ["delete", "a/b"], ["reset", "bad name", "--to", "start"]] {
                let result = try fx.run(["cursors"] + arguments + ["--store", fx.store])
                #expect(result.status != Exit.ok && result.status != Exit.notFound, "\(result)")
                #expect(result.errors.contains("cursor name"), "\(result)")
                #expect(result.output.isEmpty)
            }
            #expect(try fx.annals("cursors", "list").output.isEmpty)
        }
    }

    /// With --limit N the cursor ends on the Nth printed event, and the next run resumes right after it: across
    /// runs every matching event is printed exactly once. 1,500 events span several 512-event reads.
    @Test(arguments: [
        [],
        ["--type", "plugin_action_*"],
        ["--type", "item.updated"],
        ["--type", "item.*", "--group", "org-1"],
    ])
    func tailWithALimitAdvancesTheCursorOnlyThroughWhatItPrinted(_ filter: [String]) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(1_500))
            let expected = try fx.run(["tail", "--store", fx.store] + filter).offsets
            try #require(expected.count > 20)
            let limits = [1, 7, expected.count / 3, 600, 5]
            var printed: [Int] = []
            for limit in limits {
                let result = try fx.run(
                    ["tail", "--cursor", "c", "--limit", String(limit), "--store", fx.store] + filter)
                #expect(result.status == Exit.ok && result.errors.isEmpty, "\(result)")
                let offsets = result.offsets
                let remaining = expected.count - printed.count
                #expect(offsets.count == min(limit, remaining), "--limit \(limit)")
                printed += offsets
                let cursor = try #require(try fx.cursor("c")?.int("offset"))
                if offsets.count == limit {
                    #expect(cursor == offsets.last, "the cursor is the last printed event")
                } else {
                    #expect(cursor == 1_500, "having read everything, the cursor is at the head")
                }
            }
            let rest = try fx.run(["tail", "--cursor", "c", "--store", fx.store] + filter)
            printed += rest.offsets
            #expect(printed == expected, "no event lost and none printed twice")
            #expect(try fx.run(["tail", "--cursor", "c", "--store", fx.store] + filter).output.isEmpty)
            // Having seen everything, the cursor is at the head even when the last events did not match.
            #expect(try fx.cursor("c")?.int("offset") == 1_500)
        }
    }

    /// A cursor that starts at the end must be saved even if no event came: otherwise the next run, which has no
    /// cursor, starts over from the beginning and prints the history that was skipped on purpose.
    @Test func aCursorStartedAtTheEndIsSavedBeforeAnyEvent() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let skip = try fx.annals("tail", "--cursor", "late", "--from", "end")
            #expect(skip.status == Exit.ok && skip.output.isEmpty, "\(skip)")
            #expect(try fx.cursor("late")?.int("offset") == 5, "tail --cursor late --from end saves the cursor")
            try fx.append(sampleLines(2, start: 5))
            #expect(
                try fx.annals("tail", "--cursor", "late").offsets == [6, 7], "only the events after the first run")

            // The same with --follow stopped by a signal before any event arrived.
            let follow = try fx.startUnblocked(
                ["tail", "-f", "--cursor", "later", "--from", "end", "--store", fx.store])
            usleep(300_000)
            follow.kill(SIGINT)
            let stopped = follow.finish(timeout: 15)
            #expect(stopped.status == Exit.ok && stopped.output.isEmpty, "\(stopped)")
            #expect(try fx.cursor("later")?.int("offset") == 7, "SIGINT ends tail -f with the cursor saved")
            try fx.append(sampleLines(1, start: 7))
            #expect(try fx.annals("tail", "--cursor", "later").offsets == [8])

            // An offset works already, since the events after it are printed.
            #expect(try fx.annals("tail", "--cursor", "mid", "--from", "6").offsets == [7, 8])
            #expect(try fx.cursor("mid")?.int("offset") == 8)

            // A new cursor past the last offset would skip the events appended until the log reaches it.
            let ahead = try fx.run(["tail", "--cursor", "ahead", "--from", "100", "--store", fx.store])
            #expect(ahead.status == Exit.invalidInput, "\(ahead)")
            #expect(ahead.errors.contains("--from 100 is beyond the last offset 8"), "\(ahead)")
            #expect(try fx.cursor("ahead") == nil)
        }
    }
    /// A cursor that `tail --cursor` only created (it printed nothing, or its output failed) was never
    /// acknowledged: `acknowledgedAt` is `null` and the table shows `-`, as documented, until the first
    /// acknowledgement; `createdAt` is set from the start.
    @Test func aCursorOnlyCreatedHasNoAcknowledgementTime() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            #expect(try fx.annals("tail", "--cursor", "late", "--from", "end").status == Exit.ok)
            let created = try #require(try fx.cursor("late"))
            #expect(created.raw["acknowledgedAt"] is NSNull, "\(created.raw)")
            #expect(created.string("createdAt") != nil, "\(created.raw)")
            let table = try fx.annals("cursors", "list", "--format", "table")
            #expect(table.lines.dropFirst().map { $0.split(separator: " ").last } == ["-"], "\(table)")

            try fx.append(sampleLines(1, start: 3))
            #expect(try fx.annals("tail", "--cursor", "late").offsets == [4])
            let acknowledged = try #require(try fx.cursor("late"))
            #expect(acknowledged.string("acknowledgedAt") != nil, "\(acknowledged.raw)")
            #expect(acknowledged.string("createdAt") == created.string("createdAt"))
        }
    }

    /// A `cursors reset` (backwards, forwards or to the tail's own position) or a `cursors delete` while `tail -f
    /// --cursor` waits for events ends that tail with exit 3 on its own, within about half a second, printing nothing
    /// more; the reset (or the deletion) is kept instead of undone. Before, the tail went on waiting until an event
    /// came, printed it to the consumer whose cursor was reset or deleted, and only then exited 3: on a quiet store,
    /// never.
    @Test func aResetOrDeleteOfARunningTailsCursorStopsIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            // The third resets the cursor to the running tail's own position, which comparing offsets would miss.
            let changes = [
                (["reset", "live", "--to", "1"], "reset (it is at offset 1 now)"), (["delete", "live"], "deleted"),
                (["reset", "live", "--to", "5"], "reset (it is at offset 5 now)"),
            ]
            for (round, (change, expected)) in changes.enumerated() {
                let tail = try fx.startUnblocked(["tail", "-f", "--cursor", "live", "--store", fx.store])
                let head = 3 + round
                let caughtUp = try waitUntil(timeout: 20) { try fx.cursor("live")?.int("offset") == head }
                #expect(caughtUp, "the tail acknowledged through the head")
                let changed = try fx.run(["cursors"] + change + ["--store", fx.store])
                #expect(changed.status == Exit.ok, "\(changed)")
                // No event is appended: the tail notices the change while it waits.
                let stopped = tail.waitForExit(timeout: 30)
                #expect(stopped, "the tail ended on its own")
                let ended = tail.finish(timeout: 20)
                #expect(ended.status == Exit.versionConflict, "\(ended)")
                #expect(
                    ended.errors.contains(expected) && ended.errors.contains("nothing was acknowledged"), "\(ended)")
                #expect(ended.offsets.last == head, "nothing was printed after the change")
                if change[0] == "reset" {
                    #expect(try fx.cursor("live")?.int("offset") == Int(change[3]), "the reset is kept")
                } else {
                    #expect(try fx.cursor("live") == nil, "the deleted cursor is not created again")
                }
                try fx.append(sampleLines(1, start: head))
            }
        }
    }
}
