import CLMDB

/// How much a commit waits for the disk before it returns.
public enum Durability: String, Sendable, CaseIterable {
    /// Every commit syncs data and meta pages before it returns: survives power loss. The default.
    case sync
    /// Commits sync data pages but not the meta page (`MDB_NOMETASYNC`): a system crash can undo the last
    /// committed transaction, never corrupt the store.
    case noMetaSync
    /// Commits do not sync at all (`MDB_NOSYNC`); the owner syncs periodically. A process crash loses nothing. A
    /// system crash can undo every transaction since the last sync, and, as lmdb.h warns, on a file system that does
    /// not preserve write order it can also leave the database corrupted.
    case noSync

    var environmentFlags: UInt32 {
        switch self {
        case .sync: 0
        case .noMetaSync: UInt32(MDB_NOMETASYNC)
        case .noSync: UInt32(MDB_NOSYNC)
        }
    }
}

/// The explicit settings an ``Environment`` is opened with.
public struct EnvironmentOptions: Sendable, Equatable {
    /// The initial size of the memory map in bytes (`mdb_env_set_mapsize`). It grows on demand.
    public var mapSize: Int
    /// The largest size the map may grow to; past it a write fails with `mapFull`.
    public var maxMapSize: Int
    /// How many slots the reader lock table has (`mdb_env_set_maxreaders`): simultaneous read transactions
    /// across all processes; 1 to ``maximumReaderSlots`` (each takes 64 bytes of `lock.mdb`, reserved on disk at
    /// open). The lock file is lengthened only while no process has the environment open: an open next to one that
    /// has it gets the slots the lock file has, as LMDB gives them (at least as many as the first opener asked for).
    public var maxReaders: UInt32

    /// The most reader slots ``maxReaders`` may ask for: a lock file of 64 MiB (`UInt32.max` slots would reserve
    /// 256 GiB, filling the disk before the open failed).
    public static let maximumReaderSlots: UInt32 = 1 << 20
    /// How many named databases the environment can hold (`mdb_env_set_maxdbs`).
    public var maxDatabases: UInt32
    /// What a commit waits for.
    public var durability: Durability
    /// Opens the environment read-only (`MDB_RDONLY`): no write transactions, and no lock on the data file for
    /// writing.
    public var readOnly: Bool
    /// The file mode for newly created files.
    public var fileMode: UInt32

    /// Creates options; the defaults suit a store of a few GiB with a few hundred concurrent readers.
    public init(
        mapSize: Int = 64 << 20,
        maxMapSize: Int = 1 << 40,
        maxReaders: UInt32 = 510,
        maxDatabases: UInt32 = 64,
        durability: Durability = .sync,
        readOnly: Bool = false,
        fileMode: UInt32 = 0o644
    ) {
        self.mapSize = mapSize
        self.maxMapSize = maxMapSize
        self.maxReaders = maxReaders
        self.maxDatabases = maxDatabases
        self.durability = durability
        self.readOnly = readOnly
        self.fileMode = fileMode
    }
}
