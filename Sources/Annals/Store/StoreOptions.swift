import LMDB

/// What an append waits for before it returns (re-exported from the LMDB layer).
public typealias Durability = LMDB.Durability

/// How an ``EventStore`` is opened.
public struct StoreOptions: Sendable, Equatable {
    /// What an append waits for before it returns; see docs/ARCHITECTURE.md, "Durability".
    public var durability: Durability
    /// With `.noSync` and `.noMetaSync`, how often the data file is synced (seconds).
    public var syncInterval: Double
    /// The largest encoded event accepted, in bytes (default 1 MiB).
    public var maximumEventSize: Int
    /// The initial LMDB map size; it grows on demand.
    public var initialMapSize: Int
    /// The largest the map may grow to.
    public var maximumMapSize: Int
    /// Reader slots across all processes.
    public var maximumReaders: UInt32
    /// The most events one group commit writes in one transaction.
    public var maximumEventsPerCommit: Int
    /// Train the first zstd dictionary once this many events exist (0 turns automatic training off).
    /// Later dictionaries are trained each time the log grows eightfold since the last training.
    public var dictionaryTrainingThreshold: Int
    /// The zstd level for payloads.
    public var compressionLevel: Int32
    /// Open read-only: no writer thread, appends fail. For tools that only read.
    public var readOnly: Bool
    /// Create the store if the directory holds none.
    public var createIfMissing: Bool
    /// How often the writer clears reader slots left by dead processes (seconds).
    public var staleReaderCheckInterval: Double
    /// How many events accumulate in the index delta log before the writer merges them into the posting lists.
    /// Larger values make commits cheaper and indexed reads of recent events a little slower.
    public var indexMergeInterval: Int

    /// Creates options with defaults suited to an application's embedded store.
    public init(
        durability: Durability = .sync,
        syncInterval: Double = 0.1,
        maximumEventSize: Int = 1 << 20,
        initialMapSize: Int = 64 << 20,
        maximumMapSize: Int = 1 << 40,
        maximumReaders: UInt32 = 510,
        maximumEventsPerCommit: Int = 10_000,
        dictionaryTrainingThreshold: Int = 1_000,
        compressionLevel: Int32 = 3,
        readOnly: Bool = false,
        createIfMissing: Bool = true,
        staleReaderCheckInterval: Double = 10,
        indexMergeInterval: Int = 16_384
    ) {
        self.durability = durability
        self.syncInterval = syncInterval
        self.maximumEventSize = maximumEventSize
        self.initialMapSize = initialMapSize
        self.maximumMapSize = maximumMapSize
        self.maximumReaders = maximumReaders
        self.maximumEventsPerCommit = maximumEventsPerCommit
        self.dictionaryTrainingThreshold = dictionaryTrainingThreshold
        self.compressionLevel = compressionLevel
        self.readOnly = readOnly
        self.createIfMissing = createIfMissing
        self.staleReaderCheckInterval = staleReaderCheckInterval
        self.indexMergeInterval = indexMergeInterval
    }
}
