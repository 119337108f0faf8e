import CLMDB

/// A handle to a named database inside an ``Environment`` (an `MDB_dbi`).
///
/// Handles are opened once by ``Environment/openDatabase(_:flags:)`` and stay valid for the environment's life.
public struct Database: Sendable, Hashable {
    /// The LMDB handle.
    public let handle: MDB_dbi
    /// The name the database was opened with.
    public let name: String
    /// The flags it was opened with.
    public let flags: DatabaseFlags
}

/// Flags for ``Environment/openDatabase(_:flags:)`` (`mdb_dbi_open`).
public struct DatabaseFlags: OptionSet, Sendable, Hashable {
    /// The C bits.
    public let rawValue: UInt32
    /// Wraps C bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_CREATE`: create the database if it does not exist.
    public static let create = DatabaseFlags(rawValue: UInt32(MDB_CREATE))
    /// `MDB_DUPSORT`: keys may have several sorted values.
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// `MDB_DUPFIXED`: with `duplicateSort`, all values have the same size and are packed.
    public static let duplicateFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
    /// `MDB_INTEGERKEY`: keys are native unsigned integers.
    public static let integerKey = DatabaseFlags(rawValue: UInt32(MDB_INTEGERKEY))
}

/// Flags for a put (`mdb_put`, `mdb_cursor_put`).
public struct PutFlags: OptionSet, Sendable, Hashable {
    /// The C bits.
    public let rawValue: UInt32
    /// Wraps C bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_NOOVERWRITE`: fail with `keyExists` when the key is present.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_APPEND`: the key is greater than every existing key; skips the search. Fails with `keyExists`
    /// otherwise.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// `MDB_APPENDDUP`: like `append`, for sorted duplicate values.
    public static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
    /// `MDB_NODUPDATA`: fail when the key/value pair already exists in a `duplicateSort` database.
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
}
