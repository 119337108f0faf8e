import Foundation
import Testing

@testable import Annals

/// Options and limits out of their range are refused up front, naming the option and its value, the same way
/// everywhere.
@Suite struct OptionRangeTests {
    @Test func storeOptionsOutOfRangeAreRefusedBeforeAnythingIsOpened() async throws {
        try await withTemporaryDirectory { directory in
            let cases: [(StoreOptions, String)] = [
                (
                    StoreOptions(maximumEventSize: -5),
                    "StoreOptions.maximumEventSize must be from 1 to 268435456, got -5"
                ),
                // Events past 256 MiB were committed, but read back (and verified) as corrupt records: no reader
                // decompresses a record into more than that.
                (
                    StoreOptions(maximumEventSize: (256 << 20) + 1),
                    "StoreOptions.maximumEventSize must be from 1 to 268435456, got 268435457"
                ),
                (StoreOptions(maximumReaders: 0), "StoreOptions.maximumReaders must be from 1 to 1048576, got 0"),
                // Not reserved on disk first: UInt32.max slots took a 256 GiB lock file, filling the disk.
                (
                    StoreOptions(maximumReaders: .max),
                    "StoreOptions.maximumReaders must be from 1 to 1048576, got 4294967295"
                ),
                (
                    StoreOptions(initialMapSize: 256 << 20, maximumMapSize: 16 << 20),
                    "StoreOptions.maximumMapSize must be at least initialMapSize (268435456), got 16777216"
                ),
                (StoreOptions(maximumEventsPerCommit: 0), "StoreOptions.maximumEventsPerCommit must be at least 1"),
                (StoreOptions(compressionLevel: 99), "StoreOptions.compressionLevel must be a zstd level from"),
                (StoreOptions(syncInterval: .nan), "StoreOptions.syncInterval must be a positive number of seconds"),
                (StoreOptions(snapshotInterval: -1), "StoreOptions.snapshotInterval must be at least 0"),
            ]
            for (options, message) in cases {
                let path = directory + "/store"
                #expect {
                    _ = try EventStore(path: path, options: options)
                } throws: { error in
                    guard case .invalidArgument(let text) = error as? AnnalsError else { return false }
                    return text.hasPrefix(message)
                }
                #expect(!FileManager.default.fileExists(atPath: path), "nothing is created for refused options")
            }
        }
    }

    /// A map larger than the address space fails the open, naming the map size, and leaves nothing that stops a
    /// later open with a size that fits.
    @Test func aMapBeyondTheAddressSpaceIsNamedAndLeavesTheStoreOpenable() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            #expect {
                _ = try EventStore(path: path, options: StoreOptions(initialMapSize: 1 << 60, maximumMapSize: 1 << 60))
            } throws: { error in
                guard case .storage(let cause) = error as? AnnalsError else { return false }
                return (cause.detail ?? "").contains("StoreOptions.initialMapSize")
            }
            let store = try EventStore(path: path)
            defer { store.close() }
            _ = try await store.append(sampleEvent(1))
            #expect(try store.head().offset == 1)
        }
    }

    @Test func anEmptyStorePathIsRefusedByName() {
        #expect {
            _ = try EventStore(path: "")
        } throws: { error in
            (error as? AnnalsError) == .invalidArgument("the store path is empty")
        }
    }

    @Test func aDictionarySampleLimitBelowOneIsRefusedByName() async throws {
        _ = try await withStore { store, _ in
            #expect {
                _ = try store.trainDictionary(sampleLimit: -1)
            } throws: { error in
                (error as? AnnalsError) == .invalidArgument("sampleLimit must be at least 1, got -1")
            }
        }
    }

    @Test func aNegativeViewQueryLimitIsRefusedAndZeroFindsNothing() async throws {
        try await withStore { store, _ in
            _ = try await store.append(NewEvent(type: "thing.created", targetId: "t", metadata: ["thingType": "s"]))
            #expect(try store.things(ThingFilter(limit: 0)).isEmpty)
            #expect(try store.things(ThingFilter(limit: 1)).count == 1)
            for query in [
                { _ = try store.things(ThingFilter(limit: -1)) },
                { _ = try store.connections(ConnectionFilter(limit: -1)) },
                { _ = try store.knowledge(KnowledgeFilter(limit: -1)) },
            ] as [() throws -> Void] {
                #expect {
                    try query()
                } throws: { error in
                    guard case .invalidArgument(let text) = error as? AnnalsError else { return false }
                    return text.contains(".limit must not be negative, got -1")
                }
            }
        }
    }
}
