import Annals
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `--store PATH`, shared by every command.
struct StoreLocation: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store directory. Defaults to $ANNALS_STORE, then ./annals-store.", valueName: "path"))
    var store: String?

    /// Refuses an empty `--store` (exit 64) rather than look for a store at the empty path, as the other commands'
    /// empty values are refused; an empty `ANNALS_STORE` counts as unset.
    func validate() throws {
        if store?.isEmpty == true { throw ValidationError("--store must not be empty") }
    }

    /// The path in effect.
    var path: String {
        if let store { return store }
        if let environment = getenv("ANNALS_STORE"), environment.pointee != 0 { return String(cString: environment) }
        return "annals-store"
    }

    /// Opens the store read-only (no writer thread; another process may be appending), with `maximumEventSize` as
    /// the limit a rollback's plan measures its restores against.
    func openForReading(maximumEventSize: Int = StoreOptions().maximumEventSize) throws -> EventStore {
        try EventStore(
            path: path,
            options: StoreOptions(maximumEventSize: maximumEventSize, readOnly: true, createIfMissing: false))
    }

    /// Opens the store read-only for the plugin platform's queries, once every page of the ontology's views (where
    /// the platform keeps plugins, releases and installs) is checked: a damaged one exits 5 instead of crashing.
    func openForReadingViews() throws -> EventStore {
        try open(writing: false) { try $0.checkViewPages(of: OntologyProjections.names) }
    }

    /// Opens the store for appending; it must exist (`annals init`). A view built by another configuration of a
    /// built-in projection (an application's knowledge view with an embedder of its own) is left to that application,
    /// not rebuilt with the CLI's (`OutdatedProjectionPolicy.rebuildOtherVersions`): `annals rebuild` does that when
    /// asked.
    func openForWriting(_ options: StoreOptions = StoreOptions()) throws -> EventStore {
        var options = options
        options.createIfMissing = false
        return try openWritable(options)
    }

    /// Opens the store writable for a command that neither appends events nor reads the views (`tail --cursor`,
    /// `cursors reset` and `delete`, `dict train`, `reindex`): without the ontology's projections, so that views
    /// another process left behind the log are not caught up first. Such a catch-up could take minutes before the
    /// command does anything, and failed with exit 9 while another process caught the same views up; the views are
    /// left to the next command that reads or appends through them.
    func openWithoutViews() throws -> EventStore {
        try openForWriting(StoreOptions(projections: []))
    }

    /// Opens (or, with `options.createIfMissing`, creates) the store writable, as every writable CLI command does:
    /// leaving an application's view of another configuration to it (`rebuildOtherVersions`).
    func openWritable(_ options: StoreOptions) throws -> EventStore {
        var options = options
        options.outdatedProjections = .rebuildOtherVersions
        return try EventStore(path: path, options: options)
    }

    /// Opens the store (read-only, or for appending when `writing`) for a command that may read any page of the log
    /// and of the ontology's views, once every one is checked (`checkLogPages()`, `checkViewPages(of:)`): the plugin
    /// platform finds executions, jobs, subscriptions, dead letters and install histories through the log's indexes,
    /// streams and cursors as well as through the views. A damaged page exits 5 instead of crashing the command; the
    /// check reads every page of the log once.
    func openCheckingEveryPage(writing: Bool) throws -> EventStore {
        try open(writing: writing) { store in
            try store.checkLogPages()
            try store.checkViewPages(of: OntologyProjections.names)
        }
    }

    /// Opens the store (read-only, or for appending when `writing`), then runs `check` on it; closes it when the
    /// check throws.
    private func open(writing: Bool, checking check: (EventStore) throws -> Void) throws -> EventStore {
        let store = try writing ? openForWriting() : openForReading()
        do {
            try check(store)
        } catch {
            store.close()
            throw error
        }
        return store
    }
}

/// `--format jsonl|table`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl
    case table
}

/// A time given as milliseconds since 1970 or ISO 8601, as a lower bound ("at or after") or an exclusive upper bound
/// ("before"): a time finer than a millisecond becomes the millisecond after it, so that an event stamped between
/// the exact time and the millisecond below is not taken for one at or after it.
struct TimeArgument: ExpressibleByArgument {
    let milliseconds: Int64

    init?(argument: String) {
        if let ms = WholeNumber<Int64>.parse(argument) {
            milliseconds = ms
        } else if let ms = ISO8601.milliseconds(argument, rounding: .up) {
            milliseconds = ms
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
