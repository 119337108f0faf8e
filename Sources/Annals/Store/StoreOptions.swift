import LMDB

/// What an append waits for before it returns (re-exported from the LMDB layer).
public typealias Durability = LMDB.Durability

/// How an ``EventStore`` is opened.
public struct StoreOptions: Sendable {
    /// What an append waits for before it returns; see docs/ARCHITECTURE.md, "Durability".
    public var durability: Durability
    /// With `.noSync` and `.noMetaSync`, how often the data file is synced (seconds).
    public var syncInterval: Double
    /// The largest encoded event accepted, in bytes (default 1 MiB): 1 to ``largestEventSize`` (256 MiB), the most a
    /// record decompresses into when it is read.
    public var maximumEventSize: Int
    /// The initial LMDB map size; it grows on demand.
    public var initialMapSize: Int
    /// The largest the map may grow to.
    public var maximumMapSize: Int
    /// Reader slots across all processes: 1 to ``maximumReaderSlots`` (each takes 64 bytes of `lock.mdb`, reserved on
    /// disk when the store opens). The processes that have the store open share the slots of the first one to open
    /// it: `lock.mdb` is lengthened only while no process has the store open, so an application that wants more
    /// slots than the CLI's 510 must open the store first (or alone).
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
    /// The projections kept up to date inside each append's transaction (default: the built-in things,
    /// connections and knowledge views, ``OntologyProjections/standard``). Pass `[]` for a bare log.
    public var projections: [any Projection]
    /// What opening a writable store does when a projection's stored view was built by another version or
    /// configuration of its code (see docs/ARCHITECTURE.md, "Projections").
    public var outdatedProjections: OutdatedProjectionPolicy
    /// Take a snapshot of every projection each time this many events have been appended since the last one
    /// (0 turns automatic snapshots off). Snapshots make ``EventStore/state(at:scope:)`` fast: it replays at most
    /// this many events. The default, 25,000, keeps time travel over a million-event ontology history near 50 ms
    /// at the median, and its snapshots take about 3.6 times the log's space until pruned; a larger interval trades
    /// time-travel latency for space (docs/PERFORMANCE.md).
    public var snapshotInterval: Int

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
        indexMergeInterval: Int = 16_384,
        projections: [any Projection] = OntologyProjections.standard,
        outdatedProjections: OutdatedProjectionPolicy = .rebuild,
        snapshotInterval: Int = 25_000
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
        self.projections = projections
        self.outdatedProjections = outdatedProjections
        self.snapshotInterval = snapshotInterval
    }
}

/// What opening a writable store does with a projection whose view was built by another version or configuration of its
/// code.
public enum OutdatedProjectionPolicy: Sendable, Equatable {
    /// Rebuild the view from the log before the open returns (the default). The old view stays readable by other
    /// processes until the rebuilt one is swapped in; a killed open resumes the rebuild next time.
    case rebuild
    /// Fail the open with ``AnnalsError/projectionUnavailable(name:reason:)``, so that an operator runs
    /// `annals rebuild` at a time of their choosing.
    case refuse
    /// Rebuild a view built by another version of its projection, as ``rebuild`` does, but leave alone one built by
    /// the same version with another configuration: the view of a process that configured the projection otherwise
    /// (an application's knowledge view with an embedder of its own, opened by `annals`, which has the default
    /// one). This process then neither applies nor reads that view (its reads fail with
    /// ``AnnalsError/projectionUnavailable(name:reason:)``), and the process that configured it catches it up. What
    /// the `annals` CLI uses for its writable opens; an explicit ``EventStore/rebuild(_:verify:progress:)`` still
    /// rebuilds it with this process's configuration.
    case rebuildOtherVersions
}
