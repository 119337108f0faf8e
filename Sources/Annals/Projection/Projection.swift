import Foundation

/// A view derived from the log, kept in its own tables and updated inside the write transaction of each append.
///
/// Register projections with ``StoreOptions/projections``. For every committed event whose type it
/// ``handles(eventType:)``, the store calls ``apply(_:to:context:)`` in the same LMDB transaction that appends the
/// event, and records the projection's checkpoint in the same commit: the view never skips an event or applies one
/// twice, and reads see their own writes.
///
/// A projection must be deterministic: applying the same events in the same order must produce the same tables,
/// whether live, during ``EventStore/rebuild(_:progress:)``, or when replaying onto a snapshot for
/// ``EventStore/state(at:)``. Changing what `apply` does means bumping ``version``; the store then rebuilds the
/// view from the log when it opens (see ``StoreOptions/outdatedProjections``).
///
/// During a rebuild, a catch-up or time travel, each projection applies its events on its own worker thread,
/// concurrently with the other projections (each to its own tables), so `apply` must touch only the tables it is
/// given and whatever it shares must be safe to use from several threads.
public protocol Projection: Sendable {
    /// A unique name: 1–32 characters from `a-z`, `0-9`, `_` and `-`.
    var name: String { get }
    /// The version of the projection's logic and table layout. Bump it to rebuild the view.
    var version: Int { get }
    /// Settings that change what the tables hold (such as the embedder of the knowledge view); a change rebuilds
    /// the view like a version bump. Defaults to the empty string.
    var configuration: String { get }
    /// The names of the tables it owns, 1–32 characters from `a-z`, `0-9`, `_`, `.` and `-`; position `i` is
    /// ``ProjectionTable/init(_:)`` `i`.
    var tableNames: [String] { get }
    /// The tables snapshots hold, a subset of ``tableNames`` (all by default). Leave out tables that only serve
    /// search and that `apply` does not write in ``ProjectionContext/Mode/timeTravel`` mode: time travel never reads
    /// them, so snapshots need not carry them.
    var snapshotTableNames: [String] { get }
    /// Whether events of `eventType` concern this projection. Others are never passed to ``apply(_:to:context:)``.
    func handles(eventType: String) -> Bool
    /// Whether ``apply(_:to:context:)`` may refuse, in ``ProjectionContext/Mode/live`` mode, an event of `eventType`
    /// (by throwing ``ProjectionRejection`` or any other error). Defaults to ``handles(eventType:)``.
    ///
    /// An event that a registered projection may reject is appended only while that projection's view is live
    /// (built by this code and at the log head), since checking it needs the view's tables: while the view is behind
    /// the log the append waits for its catch-up, and while it was built by another version or configuration (or
    /// its catch-up failed) the append fails with ``AnnalsError/projectionUnavailable(name:reason:)``. Events it
    /// handles but never rejects are appended whatever state its view is in, and applied when it catches up or is
    /// rebuilt. Return `false` for the types a projection only follows, never refuses (docs/ARCHITECTURE.md,
    /// "Events a view that is not live checks").
    func mayReject(eventType: String) -> Bool
    /// Applies one event to the projection's tables.
    ///
    /// In ``ProjectionContext/Mode/live`` mode it may refuse an event that contradicts the current state by throwing
    /// ``ProjectionRejection``: the whole batch is then rejected and nothing of it is written. Any other error fails
    /// the batch the same way. In ``ProjectionContext/Mode/replay`` mode the event is already in the log: apply it
    /// as well as the tables allow and do not reject it (likewise in ``ProjectionContext/Mode/timeTravel`` mode).
    func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws
}

extension Projection {
    /// No configuration.
    public var configuration: String { "" }
    /// Every table.
    public var snapshotTableNames: [String] { tableNames }
    /// Every event type.
    public func handles(eventType: String) -> Bool { true }
    /// Every event type it handles.
    public func mayReject(eventType: String) -> Bool { handles(eventType: eventType) }
}

/// One of a projection's tables, by its position in ``Projection/tableNames``.
public struct ProjectionTable: Hashable, Sendable {
    /// The position in ``Projection/tableNames``.
    public let index: Int
    /// The table at position `index`.
    public init(_ index: Int) { self.index = index }

    /// ``index``, checked against the `count` tables of the projection that uses it (`projection`, when known, is
    /// named in the error).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` when the projection declares no such table.
    func position(among count: Int, of projection: String? = nil) throws(AnnalsError) -> Int {
        guard index >= 0, index < count else {
            let owner = projection.map { "projection '\($0)'" } ?? "the projection"
            throw .invalidArgument(
                "projection table \(index) does not exist: \(owner) declares \(count) in tableNames "
                    + (count == 0 ? "(none)" : "(0–\(count - 1))"))
        }
        return index
    }
}

/// What a projection may consult while applying an event.
public struct ProjectionContext {
    /// Why an event is being applied.
    public enum Mode: Sendable, Equatable {
        /// A new event being appended: the projection may reject it with ``ProjectionRejection``.
        case live
        /// An event already in the log, replayed by a rebuild or a catch-up: never reject it.
        case replay
        /// An event replayed onto a snapshot in memory for ``EventStore/state(at:)`` or ``EventStore/state(at:of:)``:
        /// never reject it. The tables
        /// are only queried, never searched or snapshotted, so a projection may skip tables that serve search alone.
        case timeTravel
    }

    /// Why the event is being applied.
    public let mode: Mode
    let readers: [String: any ProjectionReader]

    /// The current tables of another registered projection, to validate against in ``Mode/live`` mode.
    ///
    /// `nil` in ``Mode/replay`` mode, and when that projection is not registered or not up to date.
    public func tables(of projection: String) -> (any ProjectionReader)? { readers[projection] }

    /// A context with `mode` and the given readers of other projections.
    init(mode: Mode, readers: [String: any ProjectionReader] = [:]) {
        self.mode = mode
        self.readers = readers
    }
}

/// Thrown by ``Projection/apply(_:to:context:)`` to refuse an event that contradicts the current state.
public struct ProjectionRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metadata field at fault, such as `fromId`, or `nil` for the event as a whole.
    public var field: String?
    /// What is wrong, such as "thing 'lamp-1' does not exist".
    public var reason: String

    /// A rejection naming `field` and `reason`.
    public init(field: String? = nil, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// "field 'fromId': thing 'x' does not exist", or the bare reason.
    public var description: String { field.map { "field '\($0)': \(reason)" } ?? reason }
}
