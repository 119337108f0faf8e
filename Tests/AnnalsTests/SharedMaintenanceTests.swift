import Foundation
import Testing

@testable import Annals

/// Automatic snapshots and dictionary trainings when several processes append to one store: each writer decides
/// on its own, so the transaction that would store a snapshot or a dictionary checks first whether another process
/// stored one meanwhile.
@Suite struct SharedMaintenanceTests {
    @Test func anAutomaticSnapshotIsNotStoredWhenAnotherWasTakenWithinTheInterval() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { Vocabulary.thing("t\($0)") })
            // What another process took: a snapshot at offset 10.
            #expect(try store.createSnapshot().offset == 10)
            _ = try await store.append(contentsOf: (10..<15).map { Vocabulary.thing("t\($0)") })
            #expect(try store.createSnapshot(unlessOneWithin: 10) == nil, "offset 15 is within 10 events of 10")
            #expect(try store.snapshots().map(\.offset) == [10])
            #expect(try store.createSnapshot(unlessOneWithin: 5)?.offset == 15, "5 events on, one is due")
            // An explicit snapshot is always taken.
            _ = try await store.append(Vocabulary.thing("t15"))
            #expect(try store.createSnapshot().offset == 16)
            #expect(try store.snapshots().map(\.offset) == [10, 15, 16])
        }
    }

    @Test func aSnapshotIsDueIntervalEventsAfterTheNewestWhateverItsKey() {
        #expect(AutomaticSnapshots.isDue(head: 25_000, after: 0, interval: 25_000))
        #expect(!AutomaticSnapshots.isDue(head: 24_999, after: 0, interval: 25_000))
        #expect(!AutomaticSnapshots.isDue(head: 10, after: 20, interval: 5))
        // A damaged key near 2^64 is not an overflow.
        #expect(!AutomaticSnapshots.isDue(head: 10, after: .max, interval: 25_000))
        #expect(AutomaticSnapshots.isDue(head: .max, after: 0, interval: 25_000))
    }

    @Test func aRetrainingIsDueAtEightfoldWhateverTheStoredOffset() {
        #expect(DictionaryTraining.isRetrainingDue(head: 8_000, trainedAt: 1_000))
        #expect(!DictionaryTraining.isRetrainingDue(head: 7_999, trainedAt: 1_000))
        #expect(DictionaryTraining.isRetrainingDue(head: 8, trainedAt: 0))
        // A damaged value near 2^64 is not an overflow: no training is due.
        #expect(!DictionaryTraining.isRetrainingDue(head: .max, trainedAt: .max / 4))
    }

    @Test func anAutomaticTrainingIsNotSavedWhenAnotherProcessTrainedMeanwhile() async throws {
        try await withStore(StoreOptions(dictionaryTrainingThreshold: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<600).map { sampleEvent($0) })
            // This process saw no dictionary; another trained one meanwhile, at offset 600.
            let other = try store.trainDictionary()
            #expect(try store.trainDictionary(sampleLimit: 1_000, unlessTrainedSince: .some(nil)) == nil)
            // Nor when it knew an older dictionary than the one now current.
            #expect(try store.trainDictionary(sampleLimit: 1_000, unlessTrainedSince: .some(100)) == nil)
            #expect(try store.statistics().dictionaries.map(\.id) == [other.id])
            // Once the log has grown eightfold since, the training is due again and saved.
            _ = try await store.append(contentsOf: (600..<4_800).map { sampleEvent($0) })
            let retrained = try #require(
                try store.trainDictionary(sampleLimit: 1_000, unlessTrainedSince: .some(nil)))
            #expect(retrained.trainedAtOffset == 4_800)
            // Knowing the current one, a training is saved whatever its offset (an explicit one, say).
            #expect(try store.trainDictionary(sampleLimit: 1_000, unlessTrainedSince: .some(4_800)) != nil)
            #expect(try store.statistics().dictionaries.count == 3)
        }
    }
}
