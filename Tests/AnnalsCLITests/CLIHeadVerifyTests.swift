import Foundation
import Testing

/// `annals head` and `annals verify` on intact stores (damage: CorruptionTests).
@Suite("CLI: head and verify")
struct CLIHeadVerifyTests {
    private static let zeroHash = String(repeating: "0", count: 64)

    private static func isHash(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.count == 64 && text.allSatisfy { "0123456789abcdef".contains($0) }
    }

    @Test func headOfAnEmptyStoreIsTheGenesis() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let head = try fx.head()
            #expect(head.keys == ["offset", "hash", "durableOffset", "anchor"], "\(head)")
            #expect(head.int("offset") == 0)
            #expect(head.string("hash") == Self.zeroHash)
            #expect(head.int("durableOffset") == 0)
            #expect(head.string("anchor") == Self.zeroHash + "@0")
        }
    }

    @Test func headFollowsEveryAppend() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            var hashes: Set<String> = []
            for round in 1...4 {
                try fx.append(sampleLines(10, start: round * 10))
                let head = try fx.head()
                let hash = try #require(head.string("hash"))
                #expect(Self.isHash(hash), "\(head)")
                #expect(head.int("offset") == round * 10)
                #expect(head.int("durableOffset") == round * 10, "appends by the CLI are durable when it exits")
                #expect(head.string("anchor") == "\(hash)@\(round * 10)")
                hashes.insert(hash)
                let verified = try fx.annals("verify").object()
                #expect(verified.string("lastHash") == hash, "verify recomputes the head's hash")
            }
            #expect(hashes.count == 4)
        }
    }

    @Test func verifyOfAnIntactLogExitsZeroWithASummary() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(120))
            let result = try fx.annals("verify")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            let summary = try result.object()
            #expect(summary.bool("intact") == true)
            #expect(summary.int("from") == 1)
            #expect(summary.int("to") == 120)
            #expect(summary.int("records") == 120)
            #expect(summary.string("lastHash") == (try fx.head().string("hash")))
            #expect(summary["firstBadOffset"] == nil)
            #expect(summary["anchorMatched"] == nil)
        }
    }

    @Test func verifyIndexesChecksTheWholeLogsIndexesToo() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(120))
            let result = try fx.annals("verify", "--indexes")
            #expect(result.status == Exit.ok, "\(result)")
            let summary = try result.object()
            #expect(summary.bool("intact") == true && summary.bool("indexesChecked") == true, "\(summary)")
            #expect(summary.int("records") == 120)
            #expect(try fx.annals("verify").object()["indexesChecked"] == nil, "only with --indexes")
            for range in [["--from", "2"], ["--to", "50"]] {
                let refused = try fx.run(["verify", "--indexes"] + range + ["--store", fx.store])
                #expect(refused.status == Exit.invalidArguments, "\(refused)")
                #expect(refused.errors.contains("--indexes checks the whole log"), "\(refused)")
            }
        }
    }

    @Test func verifyChecksARange() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(50))
            let range = try fx.annals("verify", "--from", "5", "--to", "10")
            #expect(range.status == Exit.ok, "\(range)")
            let summary = try range.object()
            #expect(summary.int("from") == 5)
            #expect(summary.int("to") == 10)
            #expect(summary.int("records") == 6)
            let prefix = try fx.annals("verify", "--to", "10").object()
            #expect(prefix.int("records") == 10)
            #expect(summary.string("lastHash") == prefix.string("lastHash"))

            let tail = try fx.annals("verify", "--from", "41").object()
            #expect(tail.int("to") == 50)
            #expect(tail.int("records") == 10)

            let beyond = try fx.annals("verify", "--from", "45", "--to", "5000")
            #expect(beyond.status == Exit.ok, "\(beyond)")
            #expect(try beyond.object().int("to") == 50, "the range ends at the head")
        }
    }

    @Test func verifyOfAnEmptyStoreIsIntact() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.annals("verify")
            #expect(result.status == Exit.ok, "\(result)")
            let summary = try result.object()
            #expect(summary.bool("intact") == true)
            #expect(summary.int("records") == 0)
        }
    }

    @Test func anchorsFromEarlierHeadsKeepMatching() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            var anchors: [String] = []
            for round in 0..<3 {
                try fx.append(sampleLines(20, start: round * 20))
                anchors.append(try #require(try fx.head().string("anchor")))
            }
            for anchor in anchors {
                let result = try fx.annals("verify", "--anchor", anchor)
                #expect(result.status == Exit.ok, "\(result)")
                let summary = try result.object()
                #expect(summary.bool("anchorMatched") == true, "\(result)")
                #expect(summary.bool("intact") == true)
            }
        }
    }

    @Test func anAnchorWithTheWrongHashIsDamage() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(10))
            let hashOf5 = try #require(try fx.annals("verify", "--to", "5").object().string("lastHash"))
            let result = try fx.annals("verify", "--anchor", "\(hashOf5)@6")
            #expect(result.status == Exit.damaged, "\(result)")
            let lines = result.objects()
            try #require(lines.count == 2, "\(result)")
            #expect(lines[0].int("offset") == 6)
            #expect(lines[0].string("kind") == "anchorMismatch")
            #expect(lines[0].string("detail")?.contains(hashOf5) == true)
            #expect(lines[1].bool("intact") == false)
            #expect(lines[1].bool("anchorMatched") == false)
            #expect(lines[1].int("firstBadOffset") == 6)
            #expect(result.errors.contains("first bad offset 6"), "\(result)")
            #expect(result.errors.contains("anchorMismatch"), "\(result)")
        }
    }

    @Test func anAnchorBeyondTheHeadMeansTruncation() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(10))
            let hash = try #require(try fx.head().string("hash"))
            let result = try fx.annals("verify", "--anchor", "\(hash)@25")
            #expect(result.status == Exit.damaged, "\(result)")
            let problem = try #require(result.objects().first)
            #expect(problem.int("offset") == 11)
            #expect(problem.string("kind") == "truncated")
            #expect(problem.string("detail")?.contains("15 record(s)") == true, "\(problem)")
            #expect(result.errors.contains("first bad offset 11"), "\(result)")
            #expect(result.errors.contains("truncated"), "\(result)")
        }
    }

    @Test func theAnchorOfAnEmptyLogIsTheGenesis() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let emptyAnchor = try #require(try fx.head().string("anchor"))
            let empty = try fx.annals("verify", "--anchor", emptyAnchor)
            #expect(empty.status == Exit.ok, "\(empty)")
            #expect(try empty.object().bool("anchorMatched") == true)

            try fx.append(sampleLines(3))
            let later = try fx.annals("verify", "--anchor", emptyAnchor)
            #expect(later.status == Exit.ok, "an empty log's anchor matches every later log: \(later)")

            let wrong = try fx.annals("verify", "--anchor", String(repeating: "ab", count: 32) + "@0")
            #expect(wrong.status == Exit.damaged, "\(wrong)")
            #expect(wrong.objects().first?.string("kind") == "anchorMismatch", "\(wrong)")
        }
    }

    @Test func aRangeStartingAfterTheHeadIsInvalidInput() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let result = try fx.annals("verify", "--from", "9")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("offset 9"), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    @Test func invalidVerifyArgumentsExit64() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let hash = String(repeating: "ab", count: 32)
            let cases: [([String], String)] = [
                (["--anchor", "nonsense"], "--anchor"),
                (["--anchor", "\(hash)@-1"], "--anchor"),
                (["--anchor", "\(hash.dropLast(2))@3"], "--anchor"),
                (["--anchor", "\(hash)"], "--anchor"),
                (["--anchor", "\(hash.dropLast())g@3"], "--anchor"),
                (["--from", "0"], "--from"),
                (["--from", "5", "--to", "3"], "--to"),
            ]
            for (arguments, mention) in cases {
                let result = try fx.run(["verify", "--store", fx.store] + arguments)
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains(mention), "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")
            }
        }
    }
}
