import Foundation
import Testing

@testable import Annals

@Suite struct CompressionTests {
    private func waitForDictionary(_ store: EventStore) async throws -> Int {
        for _ in 0..<200 {
            let count = try store.statistics().dictionaries.count
            if count > 0 { return count }
            try await Task.sleep(for: .milliseconds(25))
        }
        return 0
    }

    @Test func aDictionaryIsTrainedAutomaticallyAndUsed() async throws {
        try await withStore(StoreOptions(dictionaryTrainingThreshold: 500)) { store, _ in
            _ = try await store.append(contentsOf: (0..<600).map { sampleEvent($0) })
            #expect(try await waitForDictionary(store) == 1)
            _ = try await store.append(contentsOf: (600..<1600).map { sampleEvent($0) })
            let codecs = try store.environment.read { txn in
                try txn.withCursor(store.schema.events) { cursor -> [PayloadCodec] in
                    var out: [PayloadCodec] = []
                    var entry = try cursor.get(.last)
                    while let e = entry, out.count < 100 {
                        out.append(try RecordHeader.read(e.value).codec)
                        entry = try cursor.get(.previous)
                    }
                    return out
                }
            }
            #expect(codecs.allSatisfy { $0 == .zstdDictionary })
            let stats = try store.statistics()
            #expect(stats.compressionRatio > 1)
            #expect(try store.events().collect().count == 1600)
        }
    }

    @Test func retrainingKeepsOldRecordsReadable() async throws {
        try await withStore(StoreOptions(dictionaryTrainingThreshold: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
            let first = try store.trainDictionary()
            #expect(first.id == 1 && first.samples == 300 && first.trainedAtOffset == 300)
            _ = try await store.append(contentsOf: (300..<600).map { sampleEvent($0, type: "note.added") })
            let second = try store.trainDictionary(sampleLimit: 200)
            #expect(second.id == 2 && second.samples == 200)
            _ = try await store.append(contentsOf: (600..<700).map { sampleEvent($0) })
            let all = try store.events().collect()
            #expect(all.count == 700)
            #expect(all[10].metadata["name"] == .string("Item 10"))
            #expect(try store.statistics().dictionaries.map(\.id) == [1, 2])
            #expect(try store.verify().isIntact)
        }
    }

    @Test func trainingOnLargeEventsHoldsABoundedSample() async throws {
        try await withStore(StoreOptions(durability: .noSync, dictionaryTrainingThreshold: 0)) { store, _ in
            // 600 events of about 20 KB: each sampled by its first 16 KiB, and sampling stops at 8 MiB.
            for batch in 0..<6 {
                _ = try await store.append(
                    contentsOf: (0..<100).map { index in
                        NewEvent(
                            type: "blob.saved", targetId: "b\(batch * 100 + index)",
                            metadata: ["text": .string(String(repeating: "lorem ipsum \(index) ", count: 1_300))])
                    })
            }
            let info = try store.trainDictionary()
            #expect(info.samples == DictionaryTraining.sampleBudget / DictionaryTraining.maximumSampleBytes)
            #expect(try store.verify().isIntact)
        }
    }

    @Test func trainingNeedsSamples() async throws {
        try await withStore(StoreOptions(dictionaryTrainingThreshold: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            #expect(throws: AnnalsError.self) { try store.trainDictionary() }
        }
    }

    @Test func incompressiblePayloadsAreStoredRaw() async throws {
        try await withStore(StoreOptions(dictionaryTrainingThreshold: 0)) { store, _ in
            // A payload this small only grows under zstd (frame and block headers).
            _ = try await store.append(NewEvent(type: "n", metadata: ["k": "v"]))
            let codec = try store.environment.read { txn in
                try txn.get(store.schema.events, key: UInt64(1).bigEndianBytes).map {
                    try $0.withUnsafeBytes { try RecordHeader.read($0).codec }
                }
            }
            #expect(codec == .raw)
            #expect(try store.event(at: 1)?.metadata["k"] == "v")
        }
    }
}
