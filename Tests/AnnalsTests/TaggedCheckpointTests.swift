import Foundation
import Testing

@testable import Annals

/// A record at a checkpoint offset must carry the whole hash: the writer always gives it a version 1 header, and the
/// chain of every later range and anchor up to the next checkpoint starts from it.
@Suite struct TaggedCheckpointTests {
    /// Rewrites the record at `offset` with a tagged (version 2) header carrying the tag of its whole hash, the rest
    /// of the record unchanged.
    private func tagCheckpoint(_ store: EventStore, offset: UInt64) throws {
        try store.write { txn in
            let record = try #require(try store.record(at: offset, txn).map { Array($0) })
            let whole = try record.withUnsafeBytes { try RecordHeader.read($0) }
            var tagged = whole
            tagged.link = .tag(whole.link.tag)
            var value = [UInt8](repeating: 0, count: tagged.size)
            value.withUnsafeMutableBytes { tagged.write(to: $0) }
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value + record[whole.size...])
        }
    }

    /// The tag still matches, so the chain goes on, but the header is reported: otherwise only a range starting
    /// after the checkpoint would notice, by checking no link up to the next one.
    @Test func aTaggedHeaderAtACheckpointIsAHeaderProblem() async throws {
        try await withStore { store, _ in
            for start in stride(from: 0, to: 1_100, by: 275) {
                _ = try await store.append(contentsOf: (start..<start + 275).map { sampleEvent($0) })
            }
            let head = try store.head()
            try tagCheckpoint(store, offset: RecordHeader.checkpointInterval)
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [RecordHeader.checkpointInterval], "\(report.problems)")
            #expect(report.problems.map(\.kind) == [.header])
            #expect(report.lastHash == head.hash, "the chain goes on from the recomputed hash")
            let range = try store.verify(from: RecordHeader.checkpointInterval)
            #expect(range.problems.map(\.kind) == [.header])
        }
    }
}
