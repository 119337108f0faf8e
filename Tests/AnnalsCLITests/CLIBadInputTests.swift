import Foundation
import Testing

/// A bad input line and what the error must name.
struct BadLine: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    /// Text stderr must contain besides the line number, such as `field 'type'`.
    var mention: String

    init(_ text: String, _ mention: String) {
        bytes = Array(text.utf8)
        self.mention = mention
    }

    init(bytes: [UInt8], _ mention: String) {
        self.bytes = bytes
        self.mention = mention
    }

    var testDescription: String {
        String(decoding: bytes.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Valid JSON, but not a valid event: the field is named.
    static let wrongFields: [BadLine] = [
        BadLine(#"{"type":5}"#, "field 'type' must be a string"),
        BadLine(#"{"actorId":"a"}"#, "field 'type' is required"),
        BadLine(#"{"type":""}"#, "field 'type'"),
        BadLine(#"{"type":"has space"}"#, "field 'type'"),
        BadLine(#"{"type":"x/y"}"#, "field 'type'"),
        BadLine("{\"type\":\"\(String(repeating: "t", count: 129))\"}", "field 'type'"),
        BadLine(#"{"type":"ok","actorId":7}"#, "field 'actorId' must be a string"),
        BadLine(#"{"type":"ok","actorId":""}"#, "field 'actorId'"),
        BadLine(#"{"type":"ok","targetId":true}"#, "field 'targetId' must be a string"),
        BadLine(#"{"type":"ok","targetId":"a\u0001b"}"#, "field 'targetId'"),
        BadLine("{\"type\":\"ok\",\"groupId\":\"\(String(repeating: "g", count: 300))\"}", "field 'groupId'"),
        BadLine(#"{"type":"ok","groupId":["org"]}"#, "field 'groupId' must be a string"),
        BadLine(#"{"type":"ok","metadata":[1,2]}"#, "field 'metadata' must be a JSON object"),
        BadLine(#"{"type":"ok","metadata":"text"}"#, "field 'metadata' must be a JSON object"),
        BadLine(#"{"type":"ok","timestamp":"yesterday"}"#, "field 'timestamp'"),
        BadLine(#"{"type":"ok","timestamp":-5}"#, "field 'timestamp'"),
        BadLine(#"{"type":"ok","timestamp":1.5}"#, "field 'timestamp'"),
        BadLine(#"{"type":"ok","timestamp":{}}"#, "field 'timestamp'"),
        BadLine(#"{"type":"ok","targetId":"t","expectedVersion":"1"}"#, "field 'expectedVersion'"),
        BadLine(#"{"type":"ok","targetId":"t","expectedVersion":-1}"#, "field 'expectedVersion'"),
        BadLine(#"{"type":"ok","expectedVersion":1}"#, "field 'expectedVersion' requires a targetId"),
        BadLine(#"{"type":"ok","id":"not-a-uuid"}"#, "field 'id' must be a UUID"),
        BadLine(#"{"type":"ok","id":42}"#, "field 'id' must be a string"),
        BadLine(#"{"type":"ok","target":"typo"}"#, "field 'target' is not an event field"),
    ]

    /// Not JSON, or not a JSON object.
    static let malformed: [BadLine] = [
        BadLine(#"{"type":"x""#, "invalid JSON"),
        BadLine("not json", "invalid JSON"),
        BadLine(#"{"type":"x",}"#, "invalid JSON"),
        BadLine(#"{"type":"x"} {"type":"y"}"#, "invalid JSON"),
        BadLine(#"{'type':'x'}"#, "invalid JSON"),
        BadLine(#"{"type":"x","metadata":{"a":01}}"#, "invalid JSON"),
        BadLine(#"{"type":"x","metadata":{"a":"\ud800"}}"#, "invalid JSON"),
        BadLine(#"{"type":"x","metadata":{"a":"\q"}}"#, "invalid JSON"),
        BadLine(#"[{"type":"x"}]"#, "must be a JSON object"),
        BadLine(#""item.created""#, "must be a JSON object"),
        BadLine("null", "must be a JSON object"),
        BadLine(#"{"type":"x","type":"y"}"#, "duplicate key"),
        BadLine(
            "{\"type\":\"x\",\"metadata\":{\"a\":" + String(repeating: "[", count: 100_000)
                + String(repeating: "]", count: 100_000) + "}}",
            "nesting"),
    ]

    /// Bytes that are not UTF-8, inside and outside strings.
    static let invalidUTF8: [BadLine] = [
        BadLine(bytes: Array(#"{"type":"x","actorId":"a"#.utf8) + [0xFF, 0xFE] + Array(#"b"}"#.utf8), "invalid"),
        BadLine(bytes: Array(#"{"type":"x","actorId":"a"#.utf8) + [0xC3] + Array(#""}"#.utf8), "invalid"),
        BadLine(bytes: Array(#"{"type":"x","actorId":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), "invalid"),
        BadLine(bytes: Array(#"{"type":"x","actorId":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "invalid"),
        BadLine(
            bytes: Array(#"{"type":"x","actorId":""#.utf8) + [0xF4, 0x90, 0x80, 0x80] + Array(#""}"#.utf8), "invalid"),
        BadLine(bytes: Array(#"{"type":"x","metadata":{"k"#.utf8) + [0x80] + Array(#"":1}}"#.utf8), "invalid"),
        BadLine(
            bytes: Array(#"{"type":"x","metadata":{"k":[""#.utf8) + [0xE2, 0x82] + Array(#""]}}"#.utf8), "invalid"),
        BadLine(bytes: Array(#"{"type":"x"}"#.utf8) + [0xFF], "invalid JSON"),
        BadLine(bytes: [0xEF, 0xBB, 0xBF] + Array(#"{"type":"x"}"#.utf8), "invalid JSON"),
    ]
}

/// `annals append` with bad input: exit codes, messages naming line and field, and exactly which lines are written.
@Suite("CLI: bad input to append")
struct CLIBadInputTests {
    /// Appends `first`, the bad line, and `last`; expects exit `status`, only `first` written and acknowledged,
    /// and stderr naming line 2 and `mention`.
    private func expectSecondLineRejected(
        _ bad: [UInt8], mention: String, status: Int32 = Exit.invalidInput, extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let input =
                Array((eventLine(type: "first", target: "t") + "\n").utf8) + bad
                + Array(("\n" + eventLine(type: "last", target: "t") + "\n").utf8)
            let result = try fx.annals(["append"] + extra, stdinBytes: input, sourceLocation: sourceLocation)
            #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
            #expect(result.errors.hasPrefix("annals: line 2"), "\(result)", sourceLocation: sourceLocation)
            #expect(result.errors.contains(mention), "\(result)", sourceLocation: sourceLocation)
            #expect(
                result.objects(sourceLocation: sourceLocation).map { $0.int("offset") } == [1],
                "the line before the bad one is acknowledged: \(result)", sourceLocation: sourceLocation)
            let stored = try fx.readAll(sourceLocation: sourceLocation)
            #expect(
                stored.map { $0.string("type") } == ["first"], "neither the bad line nor a later one is written",
                sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: BadLine.wrongFields)
    func wrongFieldTypesNameTheLineAndField(_ bad: BadLine) throws {
        try expectSecondLineRejected(bad.bytes, mention: bad.mention)
    }

    @Test(arguments: BadLine.malformed)
    func malformedJSONNamesTheLine(_ bad: BadLine) throws {
        try expectSecondLineRejected(bad.bytes, mention: bad.mention)
    }

    @Test(arguments: BadLine.invalidUTF8)
    func invalidUTF8IsRejected(_ bad: BadLine) throws {
        try expectSecondLineRejected(bad.bytes, mention: bad.mention)
    }

    @Test func limitsAreInclusive() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let longest = eventLine(
                type: String(repeating: "t", count: 128), actor: String(repeating: "a", count: 256),
                target: String(repeating: "é", count: 128), group: String(repeating: "g", count: 256),
                metadata: "{\"deep\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}")
            let receipts = try fx.append([longest])
            #expect(receipts.first?.int("version") == 1)
            let stored = try fx.annals("get", "1").object()
            #expect(stored.string("targetId") == String(repeating: "é", count: 128))
            #expect(stored.string("type")?.count == 128)
        }
    }

    @Test func malformedJSONNamesTheColumn() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.annals("append", stdin: "{\"type\":\"x\",,}\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 1, column 13"), "\(result)")
        }
    }

    @Test func anOversizedEventIsRejected() throws {
        let big = eventLine(type: "big", target: "t", metadata: "{\"blob\":\"\(String(repeating: "z", count: 600))\"}")
        try expectSecondLineRejected(
            Array(big.utf8), mention: "exceeds the limit of 256 bytes", extra: ["--max-event-size", "256"])
    }

    @Test func anOversizedEventFailsAnAtomicAppendWhole() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let big = eventLine(type: "big", metadata: "{\"blob\":\"\(String(repeating: "z", count: 600))\"}")
            let input = sampleLines(3) + [big] + sampleLines(2)
            let result = try fx.annals(
                "append", "--atomic", "--max-event-size", "256", stdin: input.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 4"), "\(result)")
            #expect(result.errors.contains("nothing was written"), "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(try fx.headOffset() == 0)
        }
    }

    /// A line too long to be an event at all (over 4 × the size limit) after a valid line: the valid line must
    /// still be written, exactly as for any other invalid line.
    @Test func aLineLongerThanTheLineLimitStillWritesTheLinesBeforeIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let huge = eventLine(type: "huge", metadata: "{\"blob\":\"\(String(repeating: "z", count: 6000))\"}")
            let file = fx.path("input.jsonl")
            try ([eventLine(type: "first"), huge, eventLine(type: "last")].joined(separator: "\n") + "\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let result = try fx.annals("append", "--file", file, "--max-event-size", "256")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 2"), "\(result)")
            #expect(result.objects().map { $0.int("offset") } == [1], "line 1 must be acknowledged: \(result)")
            #expect(try fx.readAll().map { $0.string("type") } == ["first"], "line 1 must be written")
        }
    }

    /// The line limit counts the line without its end: a `\r\n` line of exactly the limit is as good as a `\n` one,
    /// one byte more is refused either way.
    @Test func theLineLimitDoesNotCountTheCarriageReturn() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let limit = 4 * 256 + 4096
            func line(length: Int) -> String {
                let head = #"{"type":"x""#
                return head + String(repeating: " ", count: length - head.utf8.count - 1) + "}"
            }
            for ending in ["\n", "\r\n"] {
                let fits = try fx.annals("append", "--max-event-size", "256", stdin: line(length: limit) + ending)
                #expect(fits.status == Exit.ok, "\(ending.debugDescription): \(fits)")
                let over = try fx.annals("append", "--max-event-size", "256", stdin: line(length: limit + 1) + ending)
                #expect(over.status == Exit.invalidInput, "\(ending.debugDescription): \(over)")
                #expect(over.errors.contains("longer than \(limit) bytes"), "\(over)")
            }
        }
    }

    /// Receipts that cannot be written (stdout on a full device) end `append` with exit 5, saying how far the input
    /// got: the events were appended before their receipts were printed.
    @Test func receiptsThatCannotBeWrittenSayHowFarTheInputGot() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try runProcess(
                "/bin/sh", ["-c", #"exec "$0" append --store "$1" > /dev/full"#, fx.binary, fx.store],
                stdin: Array((sampleLines(3).joined(separator: "\n") + "\n").utf8), directory: fx.directory)
            #expect(result.status == Exit.storage, "\(result)")
            #expect(result.errors.contains("No space left on device"), "\(result)")
            #expect(result.errors.contains("events through offset 3 (line 3) were appended"), "\(result)")
            #expect(try fx.headOffset() == 3)
        }
    }

    @Test func anInvalidLineDeepInALargeInputStopsExactlyThere() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let lines = sampleLines(1500) + ["{\"type\":\"ok\",\"metadata\":7}"] + sampleLines(500, start: 1500)
            let result = try fx.annals("append", stdin: lines.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 1501"), "\(result)")
            #expect(result.errors.contains("field 'metadata'"), "\(result)")
            #expect(result.objects().map { $0.int("offset") } == Array(1...1500))
            #expect(try fx.headOffset() == 1500)
        }
    }

    @Test func anEngineRejectionInTheMiddleOfABatchWritesTheEventsBeforeIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let big = eventLine(type: "big", metadata: "{\"blob\":\"\(String(repeating: "z", count: 600))\"}")
            let lines = sampleLines(299) + [big] + sampleLines(300, start: 299)
            let result = try fx.annals("append", "--max-event-size", "256", stdin: lines.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 300"), "\(result)")
            #expect(result.objects().map { $0.int("offset") } == Array(1...299))
            let stored = try fx.readAll()
            #expect(stored.compactMap { $0.object("metadata")?.int("n") } == Array(0..<299))
        }
    }

    @Test func atomicWithAnInvalidLineWritesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            let lines = sampleLines(10, start: 2) + ["{\"type\":\"ok\",\"actorId\":1}"] + sampleLines(5, start: 12)
            let result = try fx.annals("append", "--atomic", stdin: lines.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 11"), "\(result)")
            #expect(result.errors.contains("field 'actorId'"), "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(try fx.headOffset() == 2)
        }
    }

    @Test func aClientIdFromTheStoresOwnNamespaceIsRefused() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let assigned = try #require(try fx.append([eventLine()])[0].string("id"))
            let result = try fx.annals(
                "append", stdin: eventLine(type: "a") + "\n{\"type\":\"b\",\"id\":\"\(assigned)\"}\n")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 2"), "\(result)")
            #expect(result.errors.contains("field 'id'"), "\(result)")
            #expect(result.objects().map { $0.int("offset") } == [2])
            #expect(try fx.headOffset() == 2)
        }
    }

    @Test func anInvalidLineStreamedAfterAcknowledgedLinesStopsTheCommand() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            for i in 0..<3 {
                writer.send(sampleLines(1, start: i)[0] + "\n")
                #expect(writer.stdout.waitForLines(i + 1, timeout: 20), "each line is acknowledged as it arrives")
            }
            writer.send("{\"type\":\"ok\",\"groupId\":false}\n")
            writer.send(sampleLines(1, start: 3)[0] + "\n")
            let result = writer.finish(timeout: 30)
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("line 4"), "\(result)")
            #expect(result.errors.contains("field 'groupId'"), "\(result)")
            #expect(result.objects().map { $0.int("offset") } == [1, 2, 3])
            #expect(try fx.headOffset() == 3)
        }
    }

    // MARK: Empty input

    @Test(arguments: ["nothing", "one newline", "blank lines", "CRLF"])
    func emptyInputIsAnErrorUnlessAllowed(kind: String) throws {
        let input = ["nothing": "", "one newline": "\n", "blank lines": "\n  \n\t\n", "CRLF": "\r\n"][kind]!
        try withCLIFixture { fx in
            try fx.initStore()
            let refused = try fx.annals("append", stdin: input)
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(refused.errors.contains("no events in the input"), "\(refused)")
            #expect(refused.errors.contains("--allow-empty"), "\(refused)")
            #expect(refused.stdout.isEmpty)

            let allowed = try fx.annals("append", "--allow-empty", stdin: input)
            #expect(allowed.status == Exit.ok, "\(allowed)")
            #expect(allowed.stdout.isEmpty)
            #expect(allowed.errors.isEmpty)

            let atomic = try fx.annals("append", "--atomic", stdin: input)
            #expect(atomic.status == Exit.invalidInput, "\(atomic)")
            #expect(try fx.headOffset() == 0)
        }
    }

    @Test func anEmptyFileIsEmptyInput() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let file = fx.path("empty.jsonl")
            #expect(FileManager.default.createFile(atPath: file, contents: Data()))
            let result = try fx.annals("append", "--file", file)
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("no events"), "\(result)")
            #expect(try fx.annals("append", "--file", file, "--allow-empty").status == Exit.ok)
        }
    }

    // MARK: expectedVersion

    @Test func anExpectedVersionMismatchStopsAtThatLine() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let lines = [
                eventLine(type: "a", target: "t1"),
                eventLine(type: "b", target: "t1", expectedVersion: 1),
                eventLine(type: "c", target: "t2"),
                eventLine(type: "d", target: "t1", expectedVersion: 1),
                eventLine(type: "e", target: "t1"),
            ]
            let result = try fx.annals("append", stdin: lines.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.versionConflict, "\(result)")
            #expect(result.errors.contains("line 4"), "\(result)")
            #expect(result.errors.contains("'t1'"), "\(result)")
            #expect(result.errors.contains("expected version 1, actual 2"), "\(result)")
            let receipts = result.objects()
            #expect(receipts.map { $0.int("offset") } == [1, 2, 3], "lines before the conflict are acknowledged")
            #expect(receipts.map { $0.int("version") } == [1, 2, 1])
            #expect(try fx.readAll().map { $0.string("type") } == ["a", "b", "c"])
        }
    }

    @Test func anExpectedVersionMismatchAcrossInvocationsWritesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([eventLine(target: "s"), eventLine(target: "s"), eventLine(target: "s")])
            let stale = try fx.annals("append", stdin: eventLine(target: "s", expectedVersion: 2) + "\n")
            #expect(stale.status == Exit.versionConflict, "\(stale)")
            #expect(stale.errors.contains("line 1"), "\(stale)")
            #expect(stale.errors.contains("expected version 2, actual 3"), "\(stale)")
            #expect(stale.stdout.isEmpty)
            #expect(try fx.headOffset() == 3)

            let current = try fx.append([eventLine(target: "s", expectedVersion: 3)])
            #expect(current[0].int("version") == 4)
            let fresh = try fx.append([eventLine(target: "new", expectedVersion: 0)])
            #expect(fresh[0].int("version") == 1, "expectedVersion 0 means a new stream")
            let notNew = try fx.annals("append", stdin: eventLine(target: "new", expectedVersion: 0) + "\n")
            #expect(notNew.status == Exit.versionConflict, "\(notNew)")
            #expect(notNew.errors.contains("expected version 0, actual 1"), "\(notNew)")
        }
    }

    @Test func anExpectedVersionMismatchFailsAnAtomicAppendWhole() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([eventLine(target: "s")])
            let lines = [eventLine(target: "s", expectedVersion: 1), eventLine(target: "s", expectedVersion: 1)]
            let result = try fx.annals("append", "--atomic", stdin: lines.joined(separator: "\n") + "\n")
            #expect(result.status == Exit.versionConflict, "\(result)")
            #expect(result.errors.contains("line 2"), "\(result)")
            #expect(result.errors.contains("expected version 1, actual 2"), "\(result)")
            #expect(result.errors.contains("nothing was written"), "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(try fx.headOffset() == 1)
        }
    }

    // MARK: Duplicate ids

    @Test func aDuplicateIdReturnsTheOriginalOffsetAndWritesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = UUID()
            let first = try fx.append([eventLine(type: "original", target: "t", id: id)] + sampleLines(3))
            #expect(first[0].int("offset") == 1)
            #expect(first[0]["duplicate"] == nil)

            let again = try fx.annals(
                "append", stdin: eventLine(type: "changed", target: "t", id: id) + "\n")
            #expect(again.status == Exit.ok, "\(again)")
            let receipt = try again.object()
            #expect(receipt.int("offset") == 1)
            #expect(receipt.string("id") == id.uuidString.lowercased())
            #expect(receipt.int("version") == 1)
            #expect(receipt.bool("duplicate") == true)
            #expect(try fx.headOffset() == 4)
            #expect(try fx.annals("stats").object().int("events") == 4, "the event count is unchanged")
            #expect(try fx.annals("get", "1").object().string("type") == "original", "the stored event is unchanged")
        }
    }

    @Test func aDuplicateIdWithinOneInput() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = UUID()
            let lines = [eventLine(type: "a", id: id), eventLine(type: "b"), eventLine(type: "a", id: id)]
            for atomic in [false, true] {
                let result = try fx.annals(
                    "append", atomic ? "--atomic" : "--allow-empty", stdin: lines.joined(separator: "\n") + "\n")
                #expect(result.status == Exit.ok, "\(result)")
                let receipts = result.objects()
                try #require(receipts.count == 3)
                #expect(receipts[0].int("offset") == 1)
                #expect(receipts[2].int("offset") == 1)
                #expect(receipts[2].bool("duplicate") == true)
                #expect(receipts[0].bool("duplicate") == (atomic ? true : nil), "\(receipts[0])")
            }
            #expect(try fx.readAll().map { $0.string("type") } == ["a", "b", "b"])
        }
    }
}
