import LMDB

/// The registered projections, their LMDB databases (two slots each, so a rebuild can fill one while readers use
/// the other) and their states in the `projections` database.
///
/// A projection `NAME` with table `T` keeps slot `s` in the database `p.NAME.s.T` (docs/FORMAT.md).
final class ProjectionCatalog: Sendable {
    /// The database of every projection's state (version, slot, checkpoint).
    static let statesName = "projections"
    /// The database of the stored snapshots.
    static let snapshotsName = "snapshots"
    /// What the name of every projection table starts with: `p.NAME.SLOT.TABLE`.
    static let tablePrefix = "p."

    /// Whether the catalog owns the database `name`: the states, the snapshots or a projection's table.
    static func owns(_ name: String) -> Bool {
        name == statesName || name == snapshotsName || name.hasPrefix(tablePrefix)
    }

    /// One registered projection.
    struct Entry: Sendable {
        let projection: any Projection
        /// `slots[s][i]` is table `i` of slot `s`; empty when a read-only store lacks the databases.
        let slots: [[Database]]

        var name: String { projection.name }
        var isAvailable: Bool { !slots.isEmpty }
    }

    let entries: [Entry]
    /// `projections`: `state/NAME` → ``ProjectionState``, `rebuild/NAME` → ``RebuildProgress``, `generation/NAME` →
    /// the number of rebuilds swapped in (``generation(_:_:)``).
    let states: Database?
    /// `snapshots`: offset (8 bytes big-endian) → snapshot (docs/FORMAT.md, "Snapshots").
    let snapshots: Database?
    private let byName: [String: Int]

    /// Every database the catalog has open: the states, the snapshots, and each projection's tables in both slots
    /// (for ``EventStore/statistics()``).
    var allDatabases: [Database] {
        [states, snapshots].compactMap { $0 } + entries.flatMap { $0.slots.joined() }
    }

    init(environment: Environment, projections: [any Projection], create: Bool) throws {
        // The projections were checked with the other options (``validate(_:)``), before anything was opened.
        var seen: [String: Int] = [:]
        var entries: [Entry] = []
        for projection in projections {
            seen[projection.name] = entries.count
            var slots: [[Database]] = []
            do {
                for slot in 0..<2 {
                    slots.append(
                        try projection.tableNames.map { table in
                            try environment.openDatabase(
                                Self.tablePrefix + "\(projection.name).\(slot).\(table)", flags: create ? .create : [])
                        })
                }
            } catch let error as LMDBError where error.code == .notFound && !create {
                slots = []
            }
            entries.append(Entry(projection: projection, slots: slots))
        }
        self.entries = entries
        self.byName = seen
        do {
            states = try environment.openDatabase(Self.statesName, flags: create ? .create : [])
        } catch let error as LMDBError where error.code == .notFound && !create {
            states = nil
        }
        do {
            snapshots = try environment.openDatabase(Self.snapshotsName, flags: create ? .create : [])
        } catch let error as LMDBError where error.code == .notFound && !create {
            snapshots = nil
        }
    }

    /// Checks the projections an open registers: names and table names, no name twice, and the built-in names
    /// only for the built-in projections.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming the projection and what is wrong.
    static func validate(_ projections: [any Projection]) throws(AnnalsError) {
        var names = Set<String>()
        for projection in projections {
            try validate(projection)
            guard names.insert(projection.name).inserted else {
                throw .invalidArgument("two projections are named '\(projection.name)'")
            }
        }
    }

    private static func validate(_ projection: any Projection) throws(AnnalsError) {
        func valid(_ name: String, extra: Set<Character>) -> Bool {
            (1...32).contains(name.count)
                && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || extra.contains($0) }
        }
        guard valid(projection.name, extra: ["_", "-"]) else {
            throw AnnalsError.invalidArgument(
                "projection name '\(projection.name)' must be 1–32 characters from a-z, 0-9, '_' and '-'")
        }
        if let builtIn = Self.builtInTypes[projection.name], ObjectIdentifier(type(of: projection)) != builtIn.type {
            throw .invalidArgument(
                "projection name '\(projection.name)' is reserved for the built-in \(builtIn.name) (the ontology's "
                    + "queries and the CLI read its tables as that view); give yours another name")
        }
        guard !projection.tableNames.isEmpty, projection.version >= 0 else {
            throw AnnalsError.invalidArgument(
                "projection '\(projection.name)' needs at least one table and a version ≥ 0")
        }
        for table in projection.tableNames where !valid(table, extra: ["_", "-", "."]) {
            throw AnnalsError.invalidArgument(
                "table name '\(table)' of projection '\(projection.name)' must be 1–32 characters from a-z, 0-9, "
                    + "'_', '.' and '-'")
        }
        guard Set(projection.tableNames).count == projection.tableNames.count else {
            throw AnnalsError.invalidArgument("projection '\(projection.name)' names a table twice")
        }
        for table in projection.snapshotTableNames where !projection.tableNames.contains(table) {
            throw AnnalsError.invalidArgument(
                "projection '\(projection.name)' lists snapshot table '\(table)', which is not one of its tables")
        }
    }

    /// The built-in projections by the names reserved for them.
    private static let builtInTypes: [String: (type: ObjectIdentifier, name: String)] = [
        "things": (ObjectIdentifier(ThingsProjection.self), "ThingsProjection"),
        "connections": (ObjectIdentifier(ConnectionsProjection.self), "ConnectionsProjection"),
        "knowledge": (ObjectIdentifier(KnowledgeProjection.self), "KnowledgeProjection"),
    ]

    /// The entry named `name`.
    func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// The projections whose databases this open has (``Entry/isAvailable``; a read-only store may lack some): those a
    /// snapshot holds, and those a usable snapshot must hold.
    var availableProjections: [any Projection] { entries.filter(\.isAvailable).map(\.projection) }

    /// Why a view a query names is unavailable when its projection is not registered.
    static let unregisteredReason = "it is not registered in this store's options"
    /// Why a view is unavailable when it has no slot state (the store was never opened writable with it).
    static let unbuiltReason = "it has not been built yet; open the store writable or run 'annals rebuild'"

    /// The number of databases the catalog needs, for the environment's `maxDatabases`.
    static func databaseCount(_ projections: [any Projection]) -> Int {
        projections.reduce(2) { $0 + 2 * $1.tableNames.count }
    }

    // MARK: States

    func state(_ name: String, _ txn: TransactionHandle) throws -> ProjectionState? {
        guard let states else { return nil }
        return try Array("state/\(name)".utf8).withUnsafeBytes { key in
            try txn.withValue(states, key: key) { value in
                try value.map { v throws(AnnalsError) in try ProjectionState(decoding: v, name: name) }
            }
        }
    }

    func setState(_ state: ProjectionState, of name: String, _ txn: TransactionHandle) throws {
        guard let states else { throw AnnalsError.invalidArgument("the store was opened read-only") }
        try Array("state/\(name)".utf8).withUnsafeBytes { key in
            try state.encoded.withUnsafeBytes { value in try txn.put(states, key: key, value: value) }
        }
    }

    func rebuild(_ name: String, _ txn: TransactionHandle) throws -> RebuildProgress? {
        guard let states else { return nil }
        return try Array("rebuild/\(name)".utf8).withUnsafeBytes { key in
            try txn.withValue(states, key: key) { value in
                try value.map { v throws(AnnalsError) in RebuildProgress(try ProjectionState(decoding: v, name: name)) }
            }
        }
    }

    func setRebuild(_ progress: RebuildProgress?, of name: String, _ txn: TransactionHandle) throws {
        guard let states else { throw AnnalsError.invalidArgument("the store was opened read-only") }
        try Array("rebuild/\(name)".utf8).withUnsafeBytes { key in
            if let progress {
                try progress.asState.encoded.withUnsafeBytes { value in try txn.put(states, key: key, value: value) }
            } else {
                try txn.delete(states, key: key)
            }
        }
    }

    /// How many rebuilds have swapped a new view of `name` in (`generation/NAME`, u64 BE; 0 when absent): a snapshot
    /// taken from a view compares it before it is stored, so that one copied from a view a rebuild replaced meanwhile
    /// is not stored after the rebuild deleted the others.
    func generation(_ name: String, _ txn: TransactionHandle) throws -> UInt64 {
        guard let states else { return 0 }
        return try Self.generationKey(name).withUnsafeBytes { key in
            try txn.withValue(states, key: key) { value in
                value.flatMap { $0.count == 8 ? UInt64(bigEndianBytes: $0) : nil } ?? 0
            }
        }
    }

    /// Counts one more rebuild of `name` swapped in (``generation(_:_:)``).
    func advanceGeneration(of name: String, _ txn: TransactionHandle) throws {
        guard let states else { throw AnnalsError.invalidArgument("the store was opened read-only") }
        let next = try generation(name, txn) &+ 1
        try Self.generationKey(name).withUnsafeBytes { key in
            try next.bigEndianBytes.withUnsafeBytes { value in try txn.put(states, key: key, value: value) }
        }
    }

    /// The `projections` key of `name`'s generation.
    private static func generationKey(_ name: String) -> [UInt8] { Array("generation/\(name)".utf8) }

    /// The tables of `entry`'s slot `slot` in `txn`.
    func tables(_ entry: Entry, slot: UInt8, _ txn: TransactionHandle) -> LMDBTables {
        LMDBTables(transaction: txn, databases: entry.slots[Int(slot)], projection: entry.name)
    }

    /// The projections an append in `txn` must apply: those whose view is built by this code and is at `head`.
    /// Others (outdated, behind, being caught up) are left to their rebuild or catch-up; `behind` lists the views
    /// built by this code that are behind `head` (appends by a process without their projection), which
    /// ``ViewCatchUp`` catches up, and `outdated` the others that are not live (built by another version or
    /// configuration, not built, or past `head`), with why: an append checks its events against both lists
    /// (``ViewsNotLive``).
    func live(at head: UInt64, _ txn: TransactionHandle) throws -> (
        live: [LiveProjection], behind: [LaggingView], outdated: [OutdatedView]
    ) {
        var live: [LiveProjection] = []
        var behind: [LaggingView] = []
        var outdated: [OutdatedView] = []
        for entry in entries where entry.isAvailable {
            guard let state = try state(entry.name, txn) else {
                outdated.append(OutdatedView(entry: entry, state: nil, head: head))
                continue
            }
            if !state.matches(entry.projection) || state.checkpoint > head {
                outdated.append(OutdatedView(entry: entry, state: state, head: head))
            } else if state.checkpoint == head {
                live.append(LiveProjection(entry: entry, state: state, tables: tables(entry, slot: state.slot, txn)))
            } else {
                behind.append(LaggingView(name: entry.name, checkpoint: state.checkpoint))
            }
        }
        return (live, behind, outdated)
    }

    /// The views built by this code that are behind `head`, the log's last offset in `txn`.
    func behind(head: UInt64, _ txn: TransactionHandle) throws -> [LaggingView] {
        try live(at: head, txn).behind
    }
}

/// A registered projection whose view is neither live nor behind: built by another version or configuration, not
/// built, or past the log head.
struct OutdatedView {
    let entry: ProjectionCatalog.Entry
    /// The view's state, `nil` when it was never built.
    let state: ProjectionState?
    /// The log head the state was read at.
    let head: UInt64

    /// Why the view is not live, as ``AnnalsError/projectionUnavailable(name:reason:)`` says it: built only for an
    /// append that fails, not for every append group that meets the view.
    var reason: String {
        state.map { ProjectionMaintenancePlan.outdatedReason($0, entry.projection, head: head) }
            ?? ProjectionCatalog.unbuiltReason
    }
}

/// A projection an append applies, with its current tables.
struct LiveProjection {
    let entry: ProjectionCatalog.Entry
    var state: ProjectionState
    let tables: LMDBTables
}
