import Foundation
import Testing

@testable import Annals

/// The writer's record encoding: a large group is compressed on several workers, and must come out exactly as one
/// worker would have encoded it.
@Suite struct RecordEncoderTests {
    @Test func aParallelGroupEncodesAsASerialOne() throws {
        let count = RecordEncoder.parallelThreshold * 3 + 7
        let payloads = (0..<count).map { i -> [UInt8] in
            var writer = ByteWriter()
            Envelope.encode(
                clientID: nil, version: UInt64(i), timestamp: 1_795_600_000_000 + Int64(i), type: "item.updated",
                actorId: "user-\(i % 17)", targetId: "thing-\(i % 40)", groupId: "org-\(i % 3)",
                metadataJSON: Array(#"{"n":\#(i),"note":"\#(String(repeating: "ab", count: i % 50))"}"#.utf8),
                into: &writer)
            return writer.bytes
        }
        // Offset 1,024 is a checkpoint, with room for a 42-byte header.
        let offsets = (0..<count).map { UInt64(1_000 + $0) }
        let parallel = try RecordEncoder(level: 3, workers: 4).encode(payloads, offsets: offsets, dictionary: nil)
        let serial = try RecordEncoder(level: 3, workers: 1).encode(payloads, offsets: offsets, dictionary: nil)
        #expect(parallel.count == count)
        for (index, (a, b)) in zip(parallel, serial).enumerated() {
            #expect(a.value == b.value && a.codec == b.codec && a.checksum == b.checksum, "record \(index)")
            let headerSize = offsets[index] % RecordHeader.checkpointInterval == 0 ? 42 : 26
            #expect(a.value.prefix(headerSize).allSatisfy { $0 == 0 }, "room for the header, filled in later")
            #expect(a.checksum == payloads[index].withUnsafeBytes { CRC32C.checksum($0) })
        }
        #expect(parallel.contains { $0.codec == .zstd }, "some payloads compress")
    }
}
