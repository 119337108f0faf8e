import Annals
import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `--type/--target/--group/--actor` combination for `annals tail` and the events it must print.
struct TailFilter: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    /// Whether a stored event (as printed by `annals read`) passes.
    var passes: @Sendable (JSONObject) -> Bool

    var testDescription: String { arguments.joined(separator: " ") }

    init(_ arguments: [String], _ passes: @escaping @Sendable (JSONObject) -> Bool) {
        self.arguments = arguments
        self.passes = passes
    }

    static let cases: [TailFilter] = [
        TailFilter(["--type", "item.created"]) { $0.string("type") == "item.created" },
        TailFilter(["--type", "item.created", "--type", "link.created"]) {
            ["item.created", "link.created"].contains($0.string("type") ?? "")
        },
        TailFilter(["--type", "item.*"]) { ($0.string("type") ?? "").hasPrefix("item.") },
        TailFilter(["--type", "plugin_action_*"]) { ($0.string("type") ?? "").hasPrefix("plugin_action_") },
        TailFilter(["--type", "*_failed"]) { ($0.string("type") ?? "").hasSuffix("_failed") },
        TailFilter(["--type", "item.?????ed"]) {
            ["item.created", "item.updated"].contains($0.string("type") ?? "")
        },
        TailFilter(["--type", "thing"]) { $0.string("type") == "thing" },
        TailFilter(["--type", "*"]) { _ in true },
        TailFilter(["--type", "item.*", "--type", "link.created"]) {
            let type = $0.string("type") ?? ""
            return type.hasPrefix("item.") || type == "link.created"
        },
        TailFilter(["--target", "thing-3"]) { $0.string("targetId") == "thing-3" },
        TailFilter(["--group", "org-1"]) { $0.string("groupId") == "org-1" },
        TailFilter(["--actor", "user-2"]) { $0.string("actorId") == "user-2" },
        TailFilter(["--type", "item.*", "--group", "org-2", "--actor", "user-4"]) {
            ($0.string("type") ?? "").hasPrefix("item.") && $0.string("groupId") == "org-2"
                && $0.string("actorId") == "user-4"
        },
        TailFilter(["--type", "plugin_action_*", "--target", "thing-5"]) {
            ($0.string("type") ?? "").hasPrefix("plugin_action_") && $0.string("targetId") == "thing-5"
        },
        TailFilter(["--type", "item.updated", "--group", "org-0"]) {
            $0.string("type") == "item.updated" && $0.string("groupId") == "org-0"
        },
    ]
}

/// `annals tail`: printing durable events, `--from`, filters, formats, `--limit`, live following from another
/// process, stop signals, closed pipes, bad arguments and a cursor on an empty store.
@Suite("CLI: tail")
struct CLITailTests {
    /// 2026-01-01T00:00:00Z in ms since 1970.
    static let newYear: Int64 = 1_767_225_600_000

    /// Events of types that look alike, to catch a glob or prefix that matches too much.
    static let lookalikes: [String] = [
        eventLine(
            type: "plugin_action_failed", actor: "user-2", target: "thing-5", group: "org-1",
            metadata: "{\"error\":\"timeout\"}"),
        eventLine(type: "things.created", actor: "user-2", group: "org-1"),
        eventLine(type: "thing", actor: "user-3", target: "thing-3"),
        eventLine(type: "plugin_actions", group: "org-1"),
        eventLine(type: "xitem.created", actor: "user-4", group: "org-2"),
        eventLine(type: "item.created"),
        eventLine(type: "connection_failed", actor: "user-4", target: "thing-5", group: "org-2"),
    ]

    @Test func withoutFollowItPrintsTheDurableEventsAndExits() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let empty = try fx.annals("tail")
            #expect(empty.status == Exit.ok && empty.output.isEmpty && empty.errors.isEmpty, "\(empty)")

            try fx.append(sampleLines(40))
            let result = try fx.annals("tail")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            #expect(result.lines == (try fx.readAll()).map(\.text), "the same JSON lines as read")
            #expect(result.offsets == Array(1...40))

            // A second run prints the same: without a cursor nothing is remembered.
            #expect(try fx.annals("tail").lines == result.lines)
        }
    }

    /// Without `--follow`, `tail` stops at the durable offset it read when it started, however fast a writer keeps
    /// appending: it exits, and prints nothing past the durable offset `head` reported after the tail's first line
    /// (the tail had read its own by then). The tail's reader stalls until the writer is well past that point, so a
    /// tail that read the durable offset again at each pass would find more events to print.
    @Test(.timeLimit(.minutes(10)))
    func withoutFollowItStopsAtWhatWasDurableWhenItStartedWhileAWriterKeepsAppending() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5_000))  // Far more than a pipe holds: the tail waits for its reader.
            // A writer fed without a pause, batch after batch, until the tail has ended.
            let writer = try fx.start(["append", "--store", fx.store])
            let feeding = Locked(true)
            let feeder = Thread {
                var next = 5_000
                while feeding.withLock({ $0 }) {
                    guard writer.send(sampleLines(50, start: next).joined(separator: "\n") + "\n") else { return }
                    next += 50
                }
            }
            feeder.start()
            defer {
                feeding.withLock { $0 = false }
                _ = waitUntil(timeout: 60) { feeder.isFinished }
                _ = writer.finish(timeout: 60)
            }

            let output = try SpawnedProcess.pipe()
            defer { close(output.read) }
            let tail = try Self.spawnTail(fx, ["tail", "--store", fx.store], output: output.write)
            close(output.write)
            defer {
                if tail.isRunning { tail.kill(SIGKILL) }
                tail.waitForExit()
            }
            // The first line: the tail has read the durable offset it stops at, so `head`'s is at least that.
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while !received.contains(0x0A) {
                let n = chunk.withUnsafeMutableBytes { read(output.read, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                try #require(n > 0, "the tail printed a line")
                received += chunk[0..<n]
            }
            let durable = try #require(try fx.head().uint64("durableOffset"))
            // Nothing more is read until the writer has made 500 more events durable.
            let moved = try waitUntil(timeout: 120) {
                try #require(try fx.head().uint64("durableOffset")) >= durable + 500
            }
            try #require(moved, "the writer kept appending")

            let rest = PipeDrain(FileHandle(fileDescriptor: dup(output.read), closeOnDealloc: true))
            let exited = tail.waitForExit(timeout: 120) != nil
            #expect(exited, "the tail ended although the writer kept appending")
            if !exited { tail.kill(SIGKILL) }
            tail.waitForExit()
            #expect(tail.wasSignaled == false && tail.terminationStatus == 0)
            rest.waitForEnd(timeout: 30)
            let lines = (received + rest.bytes).split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
            let offsets = lines.compactMap { JSONObject($0)?.uint64("offset") }
            #expect(offsets.count == lines.count, "every line is an event")
            let last = try #require(offsets.last)
            #expect(offsets == Array(1...last), "every event through the last printed, in order")
            #expect(last >= 5_000, "what was durable before the writer started is printed")
            #expect(last <= durable, "nothing past the durable offset when the tail started: \(last) > \(durable)")
        }
    }

    @Test func fromStartEndOffsetOrTime() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // One event a minute from 2026-01-01T00:00:00Z: offset n has the timestamp of minute n - 1.
            let lines = (0..<10).map { i in
                eventLine(type: "tick", actor: "clock", timestamp: Self.newYear + Int64(i) * 60_000)
            }
            try fx.append(lines)
            let cases: [(from: String, offsets: [Int])] = [
                ("start", Array(1...10)),
                ("end", []),
                ("0", Array(1...10)),
                ("4", Array(5...10)),
                ("9", [10]),
                ("10", []),
                // An offset past the last one exits 2: aStartPastTheLastOffsetIsRefused.
                ("2026-01-01T00:05:00Z", Array(6...10)),
                ("2026-01-01T00:05:00.000Z", Array(6...10)),
                ("2026-01-01T00:04:30Z", Array(6...10)),
                ("2026-01-01T00:04:59.999Z", Array(6...10)),
                ("2026-01-01T00:09:00Z", [10]),
                ("2026-01-01T00:09:00.001Z", []),
                ("2026-01-01", Array(1...10)),
                ("2025-12-31T23:00:00Z", Array(1...10)),
                ("2026-01-02", []),
            ]
            for (from, offsets) in cases {
                let result = try fx.annals("tail", "--from", from)
                #expect(result.status == Exit.ok, "--from \(from): \(result)")
                #expect(result.offsets == offsets, "--from \(from): \(result)")
                #expect(result.errors.isEmpty, "--from \(from): \(result)")
            }
            // --from combines with a filter and --limit.
            let combined = try fx.annals("tail", "--from", "2026-01-01T00:03:00Z", "--type", "ti*", "--limit", "2")
            #expect(combined.offsets == [4, 5], "\(combined)")
        }
    }

    @Test(arguments: TailFilter.cases)
    func filtersPrintExactlyTheMatchingEvents(_ filter: TailFilter) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(60) + Self.lookalikes + sampleLines(60, start: 60))
            let expected = try fx.readAll().filter(filter.passes).map(\.text)
            #expect(!expected.isEmpty, "the store has events for every filter")
            let result = try fx.run(["tail", "--store", fx.store] + filter.arguments)
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            #expect(result.lines == expected, "\(filter.testDescription): \(result)")
        }
    }

    @Test func prettyFormatIsOneReadableLinePerEvent() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([
                eventLine(
                    type: "item.created", actor: "user-1", target: "thing-9", group: "org-acme",
                    timestamp: Self.newYear + 1_234, metadata: "{\"n\":3,\"name\":\"Lamp\"}"),
                eventLine(type: "item.updated", target: "thing-9", timestamp: Self.newYear + 61_000),
                eventLine(type: "bare", timestamp: Self.newYear + 3_600_000),
                eventLine(type: "grouped", actor: "user-2", group: "org-acme", timestamp: Self.newYear + 86_400_000),
            ])
            let result = try fx.annals("tail", "--format", "pretty")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(
                result.lines == [
                    "2026-01-01T00:00:01.234Z  #1  item.created  by user-1  on thing-9 v1  [org-acme]  "
                        + "{\"n\":3,\"name\":\"Lamp\"}",
                    "2026-01-01T00:01:01.000Z  #2  item.updated  on thing-9 v2",
                    "2026-01-01T01:00:00.000Z  #3  bare",
                    "2026-01-02T00:00:00.000Z  #4  grouped  by user-2  [org-acme]",
                ], "\(result)")
            let filtered = try fx.annals("tail", "--format", "pretty", "--type", "item.*", "--limit", "1")
            #expect(filtered.lines.count == 1 && filtered.lines[0].contains("#1  item.created"), "\(filtered)")

            // An id that would read like more of the line is quoted.
            try fx.append([
                eventLine(
                    type: "forged", actor: "eve  on thing-1 v9", target: "t#1", group: "org [x]",
                    timestamp: Self.newYear)
            ])
            try fx.append([#"{"type":"forged","actorId":"eve\u0080\u0080on\u0080thing-1\u0080v9","timestamp":0}"#])
            let forged = try fx.annals("tail", "--format", "pretty", "--type", "forged")
            #expect(
                forged.lines == [
                    #"2026-01-01T00:00:00.000Z  #5  forged  by "eve  on thing-1 v9"  on "t#1" v1  ["org [x]"]"#,
                    #"1970-01-01T00:00:00.000Z  #6  forged  by "eve  on thing-1 v9""#,
                ], "\(forged)")
        }
    }

    @Test func limitStopsAfterThatManyEvents() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(20))
            #expect(try fx.annals("tail", "--limit", "5").offsets == Array(1...5))
            #expect(try fx.annals("tail", "--limit", "1").offsets == [1])
            #expect(try fx.annals("tail", "--limit", "100").offsets == Array(1...20))
            #expect(try fx.annals("tail", "--from", "10", "--limit", "3").offsets == [11, 12, 13])
            // sampleLines cycles four types: item.* are offsets 1, 2, 5, 6, 9, …
            #expect(try fx.annals("tail", "--type", "item.*", "--limit", "4").offsets == [1, 2, 5, 6])

            // With --follow, reaching the limit ends the command by itself, whether the events were there…
            let caughtUp = try fx.run(
                ["tail", "-f", "--from", "start", "--limit", "3", "--store", fx.store], timeout: 20)
            #expect(caughtUp.status == Exit.ok && caughtUp.offsets == [1, 2, 3], "\(caughtUp)")

            // …or arrive later.
            let follower = try fx.startUnblocked(
                ["tail", "-f", "--from", "20", "--limit", "2", "--store", fx.store])
            try fx.append(sampleLines(5, start: 20))
            #expect(follower.waitForExit(timeout: 20), "tail -f --limit 2 ends after two events")
            let result = follower.finish(timeout: 30)
            #expect(result.status == Exit.ok && !result.signaled, "\(result)")
            #expect(result.offsets == [21, 22], "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
        }
    }

    /// `--from N` past the last offset exits 2, as a subscription's `.after` start and `cursors reset --to` are
    /// refused, instead of waiting until the log gets there and skipping every event appended until then; the last
    /// offset itself is a start for only new events.
    @Test(.timeLimit(.minutes(10)))
    func aStartAtATimeIsNeverPastTheDurableOffset() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            // A writer in `.noSync` mode between its syncs: offsets 6 to 10 committed, not yet durable.
            let writer = try EventStore(path: fx.store, options: StoreOptions(durability: .noSync, syncInterval: 3_600))
            defer { writer.close() }
            _ = try writer.appendAndWait((0..<5).map { _ in NewEvent(type: "tick", actorId: "clock") })
            #expect(try writer.head().durableOffset == 5)
            // No event at or after 2100: the start is the durable offset (5), not the last committed one (10), whose
            // events a crash could still lose and new events reuse.
            let tail = try fx.startUnblocked([
                "tail", "-f", "--from", "2100-01-01", "--limit", "1", "--store", fx.store,
            ])
            // The tail's start is not observable: give it a second once it has the store open.
            let maps = "/proc/\(tail.pid)/maps"
            let opened = waitUntil(timeout: 30) {
                (try? String(contentsOfFile: maps, encoding: .utf8))?.contains("data.mdb") == true
            }
            #expect(opened, "the tail opened the store")
            Thread.sleep(forTimeInterval: 1)
            try writer.sync()
            #expect(tail.waitForExit(timeout: 20), "the tail waits past offset 10")
            let result = tail.finish(timeout: 30)
            #expect(result.status == Exit.ok && result.offsets == [6], "\(result)")
        }
    }

    @Test func aStartPastTheLastOffsetIsRefused() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            for arguments in [["tail", "--from", "6"], ["tail", "-f", "--from", "1795600805000"]] {
                let result = try fx.run(arguments + ["--store", fx.store], timeout: 20)
                #expect(result.status == Exit.invalidInput && !result.timedOut, "\(result)")
                let offset = arguments.last!
                #expect(result.errors == "annals: --from \(offset) is beyond the last offset 5\n", "\(result)")
                #expect(result.output.isEmpty, "\(result)")
            }
            let cursor = try fx.run(["tail", "-f", "--cursor", "ahead", "--from", "6", "--store", fx.store])
            #expect(cursor.status == Exit.invalidInput, "\(cursor)")
            #expect(cursor.errors.contains("--from 6 is beyond the last offset 5"), "\(cursor)")
            #expect(try fx.cursor("ahead") == nil, "no cursor was created")
            // A cursor that exists decides the start: --from is not looked at.
            #expect(try fx.annals("cursors", "reset", "kept", "--to", "3").status == Exit.ok)
            #expect(try fx.annals("tail", "--cursor", "kept", "--from", "99").offsets == [4, 5])

            #expect(try fx.annals("tail", "--from", "5").output.isEmpty, "the last offset: nothing yet")
            let follower = try fx.startUnblocked(["tail", "-f", "--from", "5", "--limit", "1", "--store", fx.store])
            try fx.append(sampleLines(1, start: 5))
            #expect(follower.waitForExit(timeout: 20))
            let followed = follower.finish(timeout: 30)
            #expect(followed.status == Exit.ok && followed.offsets == [6], "\(followed)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func followPrintsEachEventOfAWriterProcessAsItIsCommitted() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            // --from 3 rather than the default (the end), so no event can slip in before the tail has started.
            let tail = try fx.startUnblocked(["tail", "-f", "--from", "3", "--store", fx.store])
            let writer = try fx.start(["append", "--store", fx.store])
            var latencies: [Double] = []
            for i in 0..<20 {
                let sent = Date()
                writer.send(sampleLines(1, start: 3 + i)[0] + "\n")
                let arrived = tail.stdout.waitForLines(i + 1, timeout: 15)
                latencies.append(Date().timeIntervalSince(sent))
                try #require(arrived, "event \(4 + i) reached the tail: \(tail.stdout.completeLines)")
                let lines = tail.stdout.completeLines
                #expect(lines.count == i + 1, "one line per event: \(lines)")
                let event = try #require(JSONObject(lines[i]), "\(lines[i])")
                #expect(event.int("offset") == 4 + i)
                #expect(event.object("metadata")?.int("n") == 3 + i)
            }
            let written = writer.finish(timeout: 30)
            #expect(written.status == Exit.ok && written.lines.count == 20, "\(written)")

            tail.kill(SIGTERM)
            let result = tail.finish(timeout: 15)
            #expect(result.status == Exit.ok && !result.signaled, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            #expect(result.lines == (try fx.annals("read", "--from", "4").lines), "the tail printed what read prints")

            let sorted = latencies.sorted()
            let median = sorted[sorted.count / 2]
            #expect(sorted.last! < 5, "each event reaches the tail within 5 s: \(sorted)")
            // A commit wakes the tail (no sleep-polling): even on a loaded machine the median is far below the
            // one-second fallback timeout.
            #expect(median < 0.5, "median commit-to-line latency \(median) s: \(sorted)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func followWithoutACursorStartsAtTheEnd() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let tail = try fx.startUnblocked(["tail", "-f", "--store", fx.store])
            let writer = try fx.start(["append", "--store", fx.store])
            // The tail's start is not observable, so feed events until it has printed three.
            var sent = 0
            while sent < 300 && !tail.stdout.waitForLines(3, timeout: 0.05) {
                writer.send(sampleLines(1, start: 5 + sent)[0] + "\n")
                sent += 1
            }
            let written = writer.finish(timeout: 30)
            #expect(written.status == Exit.ok, "\(written)")
            let head = try fx.headOffset()
            #expect(
                waitUntil(timeout: 15) { JSONObject(tail.stdout.completeLines.last ?? "")?.int("offset") == head },
                "the tail catches up with the head")
            tail.kill(SIGINT)
            let result = tail.finish(timeout: 15)
            #expect(result.status == Exit.ok && !result.signaled, "\(result)")
            let offsets = result.offsets
            let first = try #require(offsets.first, "\(result)")
            #expect(first > 5, "the events before the tail started are not printed: \(offsets)")
            #expect(offsets == Array(first...head), "nothing is lost or repeated after the start: \(offsets)")
        }
    }

    /// Three followers with different filters, one with a cursor, while a writer process appends.
    @Test(.timeLimit(.minutes(10)))
    func severalFollowersWithDifferentFiltersRunAtOnce() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(10))
            let filters: [(arguments: [String], passes: (JSONObject) -> Bool)] = [
                (["--type", "item.*"], { ($0.string("type") ?? "").hasPrefix("item.") }),
                (
                    ["--type", "plugin_action_*", "--group", "org-1"],
                    { ($0.string("type") ?? "").hasPrefix("plugin_action_") && $0.string("groupId") == "org-1" }
                ),
                (["--actor", "user-2", "--cursor", "watcher"], { $0.string("actorId") == "user-2" }),
                (["--format", "pretty", "--target", "thing-4"], { $0.string("targetId") == "thing-4" }),
            ]
            let tails = try filters.map { filter in
                try fx.startUnblocked(["tail", "-f", "--from", "10", "--store", fx.store] + filter.arguments)
            }
            let writer = try fx.start(["append", "--store", fx.store])
            var start = 10
            while start < 400 {
                let count = Int.random(in: 1...25)
                writer.send(sampleLines(count, start: start).joined(separator: "\n") + "\n")
                start += count
                usleep(UInt32.random(in: 0...3_000))
            }
            let written = writer.finish(timeout: 30)
            #expect(written.status == Exit.ok, "\(written)")
            let after = try fx.readAll().filter { ($0.int("offset") ?? 0) > 10 }
            for (index, tail) in tails.enumerated() {
                let expected = after.filter(filters[index].passes)
                #expect(!expected.isEmpty)
                #expect(tail.stdout.waitForLines(expected.count, timeout: 20), "\(filters[index].arguments)")
            }
            usleep(200_000)  // Time to print a line too many.
            for tail in tails { tail.kill(SIGINT) }
            for (index, tail) in tails.enumerated() {
                let result = tail.finish(timeout: 15)
                #expect(result.status == Exit.ok && !result.signaled, "\(result)")
                #expect(result.errors.isEmpty, "\(result)")
                let expected = after.filter(filters[index].passes)
                if filters[index].arguments.contains("pretty") {
                    let offsets = result.lines.compactMap { line in
                        line.components(separatedBy: "  #").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
                    }
                    #expect(offsets == expected.compactMap { $0.int("offset") }, "\(result)")
                } else {
                    #expect(result.lines == expected.map(\.text), "\(filters[index].arguments): \(result)")
                }
            }
            let watcher = try #require(try fx.cursor("watcher"))
            let lastPrinted = try #require(after.filter(filters[2].passes).last?.int("offset"))
            let saved = try #require(watcher.int("offset"))
            let head = try fx.headOffset()
            #expect(saved >= lastPrinted && saved <= head, "\(watcher)")
        }
    }

    /// SIGHUP too: a script's `tail` whose terminal or session went away stops as it does on SIGTERM.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aStopSignalEndsFollowCleanlyWithTheCursorSaved(_ signal: Int32) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let tail = try fx.startUnblocked(["tail", "-f", "--cursor", "c", "--store", fx.store])
            try #require(tail.stdout.waitForLines(5, timeout: 20), "the cursor starts at the beginning")
            try fx.append(sampleLines(3, start: 5))
            try #require(tail.stdout.waitForLines(8, timeout: 20), "the new events are printed")
            tail.kill(signal)
            let result = tail.finish(timeout: 15)
            #expect(result.status == Exit.ok && !result.signaled, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            #expect(result.offsets == Array(1...8))
            let cursor = try #require(try fx.cursor("c"))
            #expect(cursor.int("offset") == 8, "every printed line is acknowledged: \(cursor)")
            #expect(cursor.int("lag") == 0)

            // The next run resumes after the cursor.
            #expect(try fx.annals("tail", "--cursor", "c").output.isEmpty)
            try fx.append(sampleLines(2, start: 8))
            #expect(try fx.annals("tail", "--cursor", "c").offsets == [9, 10])

            // A follower idle in its wait, with or without a cursor, ends at once too.
            for arguments in [["tail", "-f"], ["tail", "-f", "--cursor", "c"], ["tail", "-f", "--type", "x.*"]] {
                let idle = try fx.startUnblocked(arguments + ["--store", fx.store])
                usleep(300_000)
                let started = Date()
                idle.kill(signal)
                let stopped = idle.finish(timeout: 15)
                #expect(stopped.status == Exit.ok && !stopped.signaled, "\(stopped)")
                #expect(stopped.output.isEmpty && stopped.errors.isEmpty, "\(stopped)")
                #expect(Date().timeIntervalSince(started) < 10, "the signal interrupts the wait")
            }
            #expect(try fx.cursor("c")?.int("offset") == 10)
        }
    }

    /// A parent may start `annals` with SIGINT, SIGTERM and SIGHUP blocked (a signal mask is inherited across exec;
    /// test threads and many supervisors block them): `tail -f` must still end cleanly on them.
    @Test func aStopSignalEndsFollowEvenWhenTheParentBlockedIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGINT)
            sigaddset(&blocked, SIGTERM)
            sigaddset(&blocked, SIGHUP)
            for signal in [SIGINT, SIGTERM, SIGHUP] {
                var previous = sigset_t()
                pthread_sigmask(SIG_BLOCK, &blocked, &previous)
                let started = Result { try fx.start(["tail", "-f", "--cursor", "blocked", "--store", fx.store]) }
                pthread_sigmask(SIG_SETMASK, &previous, nil)
                let tail = try started.get()
                #expect(tail.stdout.waitForLines(signal == SIGINT ? 2 : 0, timeout: 20))
                usleep(200_000)
                tail.kill(signal)
                let result = tail.finish(timeout: 30)
                #expect(result.status == Exit.ok && !result.signaled && !result.timedOut, "signal \(signal): \(result)")
                #expect(try fx.cursor("blocked")?.int("offset") == 2)
            }
        }
    }

    /// A `tail` started with SIGHUP ignored (`nohup`, or a shell's `trap '' HUP`) was asked to outlive its terminal:
    /// SIGHUP stays ignored, and SIGTERM still stops it cleanly.
    @Test func anIgnoredHangupIsLeftIgnored() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            let (annals, store) = fx.shellWords
            let script = """
                trap '' HUP
                \(annals) tail -f --cursor kept --store \(store) > out &
                tail=$!
                for _ in $(seq 400); do [ "$(wc -l < out)" -ge 2 ] && break; sleep 0.05; done
                sleep 0.3
                kill -HUP $tail
                sleep 0.5
                kill -0 $tail && echo "alive after SIGHUP"
                kill -TERM $tail
                wait $tail
                echo "status $?"
                """
            let result = try runShell(script, directory: fx.directory)
            #expect(result.lines == ["alive after SIGHUP", "status 0"], "\(result)")
            #expect(try fx.cursor("kept")?.int("offset") == 2)
        }
    }

    /// Started with standard output closed (`>&-`), a command must not let the next file it opens (the store's
    /// `lock.mdb`) take descriptor 1: its lines would be written into that file and, with a cursor, acknowledged.
    @Test func aClosedStandardOutputIsAFailedWriteNotAnotherFile() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(50))
            let (annals, store) = fx.shellWords
            let tail = try runShell("\(annals) tail --cursor c --store \(store) >&-", directory: fx.directory)
            #expect(tail.status == Exit.storage, "\(tail)")
            #expect(tail.errors.contains("cannot write to standard output: Bad file descriptor"), "\(tail)")
            #expect(try fx.cursor("c")?.int("offset") == 0, "nothing written, nothing acknowledged")
            let append = try runShell(
                "echo '{\"type\":\"x\"}' | \(annals) append --store \(store) >&-", directory: fx.directory)
            #expect(append.status == Exit.storage, "\(append)")
            #expect(append.errors.contains("events through offset 51 (line 1) were appended"), "\(append)")
            let lock = try Data(contentsOf: URL(fileURLWithPath: fx.store + "/lock.mdb"))
            #expect(positions(of: Array("\"offset\"".utf8), in: Array(lock)).isEmpty, "no output in lock.mdb")
            #expect(try fx.annals("verify").status == Exit.ok)
            // Closed standard input is a failed read, not another file.
            let input = try runShell("\(annals) append --store \(store) <&-", directory: fx.directory)
            #expect(input.status == Exit.storage, "\(input)")
            #expect(input.errors.contains("cannot read input: Bad file descriptor"), "\(input)")
            #expect(try fx.headOffset() == 51)
        }
    }

    /// A parent that hands `tail -f` one end of a socket pair (as Node.js does) and closes the other: the idle
    /// follower notices the hang-up and ends, as it does for a closed pipe.
    @Test(.timeLimit(.minutes(10)))
    func aSocketWhosePeerClosedEndsFollow() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            var pair: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            let process = try withSignalsUnblocked {
                try Self.spawnTail(
                    fx, ["tail", "-f", "--cursor", "sock", "--from", "end", "--store", fx.store], output: pair[1])
            }
            close(pair[1])
            usleep(300_000)
            close(pair[0])
            let ended = process.waitForExit(timeout: 30) != nil
            if !ended { process.kill(SIGTERM) }
            #expect(ended, "tail -f kept running after its socket's peer closed")
            process.waitForExit()
            #expect(process.terminationStatus == 0)
        }
    }

    /// Starts the `annals` command `arguments` with `output` as its standard output (the caller closes its copy),
    /// and `/dev/null` as its standard input and error.
    static func spawnTail(_ fx: CLIFixture, _ arguments: [String], output: Int32) throws -> SpawnedProcess {
        let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(nothing) }
        return try SpawnedProcess(
            fx.binary, arguments, environment: ProcessInfo.processInfo.environment, standardInput: nothing,
            standardOutput: output, standardError: nothing)
    }

    /// A reader that stops reading without closing leaves `tail` blocked in a write: SIGTERM and SIGINT still end
    /// it, with exit 0 and the unfinished pass not acknowledged.
    @Test(arguments: [SIGINT, SIGTERM])
    func aStopSignalEndsAWriteBlockedOnAStalledReader(_ signal: Int32) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2_000))  // More than a pipe holds.
            // Nobody reads the pipe: once it is full, the tail's write blocks.
            let output = try SpawnedProcess.pipe()
            let process = try withSignalsUnblocked {
                try Self.spawnTail(
                    fx, ["tail", "-f", "--cursor", "stalled", "--store", fx.store], output: output.write)
            }
            usleep(800_000)
            process.kill(signal)
            let stopped = process.waitForExit(timeout: 30) != nil
            if !stopped { process.kill(SIGTERM) }
            process.waitForExit()
            #expect(stopped, "the signal did not end a blocked write")
            #expect(process.wasSignaled == false && process.terminationStatus == 0)
            close(output.write)
            let reader = FileHandle(fileDescriptor: output.read, closeOnDealloc: true)
            let written = reader.readDataToEndOfFile().filter { $0 == 0x0A }.count
            #expect(written > 0 && written < 2_000, "the reader took \(written) lines")
            let acknowledged = try #require(try fx.cursor("stalled")?.int("offset"))
            #expect(acknowledged <= written, "no line past those written is acknowledged")
        }
    }

    /// A stop signal while a slow reader is still reading: the chunk being printed is finished and acknowledged,
    /// and the reader never gets half a line.
    @Test(arguments: [SIGINT, SIGTERM])
    func aStopSignalLetsASlowReaderHaveWholeLines(_ signal: Int32) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3_000))
            let output = try SpawnedProcess.pipe()
            let process = try withSignalsUnblocked {
                try Self.spawnTail(fx, ["tail", "--cursor", "slow", "--store", fx.store], output: output.write)
            }
            close(output.write)
            // 100 bytes every 2 ms: slower than the tail writes, but never stopping.
            let received = Locked([UInt8]())
            let readEnd = FileHandle(fileDescriptor: output.read, closeOnDealloc: true)
            let reader = Thread {
                let fd = readEnd.fileDescriptor
                var chunk = [UInt8](repeating: 0, count: 100)
                while true {
                    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 100) }
                    if n <= 0 { break }
                    received.withLock { $0 += chunk[0..<n] }
                    usleep(2_000)
                }
            }
            reader.start()
            usleep(1_000_000)
            process.kill(signal)
            process.waitForExit()
            #expect(process.wasSignaled == false && process.terminationStatus == 0)
            #expect(waitUntil(timeout: 60) { reader.isFinished })
            let bytes = received.withLock { $0 }
            #expect(bytes.last == 0x0A, "the reader got a partial last line")
            let lines = bytes.split(separator: 0x0A).count
            #expect(lines > 0 && lines < 3_000, "\(lines) lines")
            let cursor = try fx.cursor("slow")
            #expect(
                cursor?.int("offset") == lines,
                "the chunk printed is acknowledged: \(lines) lines, \(String(describing: cursor))")
        }
    }

    @Test func aClosedPipeEndsTailQuietly() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5_000))
            let (annals, store) = fx.shellWords
            for variant in [
                "tail", "tail --format pretty", "tail --cursor piped", "tail --type 'item.*'", "tail --limit 10",
            ] {
                let script = "set -o pipefail; \(annals) \(variant) --store \(store) | head -n 5"
                let result = try runShell(script, directory: fx.directory, timeout: 30)
                #expect(result.status == 0 && !result.signaled, "\(variant): \(result)")
                #expect(result.lines.count == 5, "\(variant): \(result)")
                #expect(result.errors.isEmpty, "\(variant): no noise on stderr: \(result)")
            }
        }
    }

    /// `annals tail -f | head -n 5` where the first lines are already in the store: once head has gone, the tail
    /// must end (status 0) without waiting for yet another event to fail writing.
    @Test(arguments: [10, 5_000])
    func aClosedPipeEndsFollow(events: Int) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(events))
            let (annals, store) = fx.shellWords
            for variant in ["tail -f --from start", "tail -f --cursor piped"] {
                // `timeout` only keeps a hung tail from outliving the test.
                let script = "set -o pipefail; timeout -s KILL 90 \(annals) \(variant) --store \(store) | head -n 5"
                let shell = try withSignalsUnblocked {
                    try ChildProcess("/bin/bash", ["-c", script], directory: fx.directory)
                }
                let ended = shell.waitForExit(timeout: 30)
                let hang = "keeps running after head exited, until another event is appended"
                #expect(ended, "\(variant) with \(events) events: \(hang)")
                if !ended { try fx.append([eventLine(type: "unblock")]) }  // Its write then fails with EPIPE.
                let result = shell.finish(timeout: 30)
                #expect(result.status == 0 && !result.signaled, "\(variant): \(result)")
                #expect(result.lines.count == 5, "\(variant): \(result)")
                #expect(result.errors.isEmpty, "\(variant): no noise on stderr: \(result)")
            }
        }
    }

    static let badArguments: [[String]] = [
        ["--limit", "0"],
        ["--limit=-2"],
        ["--limit", "many"],
        ["-f", "--limit", "0"],
        ["--from", "yesterday"],
        ["--from", ""],
        ["--from=-1"],
        ["--from", "2026-13-45"],
        ["--from", "12abc"],
        ["--cursor", "bad name"],
        ["--cursor", ""],
        ["--cursor", "a/b"],
        ["--cursor", String(repeating: "c", count: 129)],
        ["-f", "--cursor", "é"],
        ["--type", "bad type"],
        ["--type", ""],
        ["--type", "thing/*"],
        ["--type", "ok", "--type", "[abc]"],
        ["--type", String(repeating: "t", count: 129)],
        ["--format", "xml"],
        ["--bogus"],
        ["--cursor", "c", "--actor", ""],
        ["--target", ""],
        ["-f", "--group", ""],
    ]

    @Test(arguments: badArguments)
    func badArgumentsExit64(_ arguments: [String]) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            let result = try fx.run(["tail"] + arguments + ["--store", fx.store], timeout: 20)
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.output.isEmpty, "\(result)")
            #expect(!result.errors.isEmpty, "\(result)")
            let cursors = try fx.annals("cursors", "list")
            #expect(cursors.status == Exit.ok && cursors.output.isEmpty, "no cursor is created: \(cursors)")
        }
    }

    @Test func aCursorOnAnEmptyStore() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let first = try fx.annals("tail", "--cursor", "c")
            #expect(first.status == Exit.ok && first.output.isEmpty && first.errors.isEmpty, "\(first)")
            try fx.append(sampleLines(3))
            #expect(try fx.annals("tail", "--cursor", "c").offsets == [1, 2, 3], "the next run prints them")
            #expect(try fx.annals("tail", "--cursor", "c").output.isEmpty, "and only once")
            #expect(try fx.cursor("c")?.int("offset") == 3)

            // The same live: a follower started on an empty store receives the first events.
            let other = fx.path("other")
            try fx.initStore(other)
            let tail = try fx.startUnblocked(["tail", "-f", "--cursor", "live", "--store", other])
            usleep(200_000)
            try fx.append(sampleLines(2), store: other)
            #expect(tail.stdout.waitForLines(2, timeout: 20))
            tail.kill(SIGTERM)
            let result = tail.finish(timeout: 15)
            #expect(result.status == Exit.ok && result.offsets == [1, 2], "\(result)")
            #expect(try fx.cursor("live", store: other)?.int("offset") == 2)
        }
    }
}
