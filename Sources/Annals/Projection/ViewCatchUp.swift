import Foundation
import LMDB

/// A view built by this code that is behind the log: it stands at `checkpoint`, and the log has events after it.
struct LaggingView: Sendable, Equatable {
    /// The projection.
    let name: String
    /// The last offset its view has applied.
    let checkpoint: UInt64
}

/// What ``EventStore/liveTables(_:head:_:)`` throws for a view behind the log head, so that a read able to wait for
/// the writer catches the view up and reads again (``EventStore/readingLiveViews(_:)``). Anywhere else it is
/// ``AnnalsError/projectionUnavailable(name:reason:)`` (``unavailable(advice:)``, ``failed(_:)``).
struct ViewLeftBehind: Error {
    let view: LaggingView
    /// The log head the read saw.
    let head: UInt64

    /// The error a read gets when the view is not caught up: where it stands, and `advice` on what catches it up.
    func unavailable(advice: String) -> AnnalsError {
        .projectionUnavailable(name: view.name, reason: "\(behind); \(advice)")
    }

    /// The error a read gets when the view's last catch-up failed from where it stands, for `reason`.
    func failed(_ reason: String) -> AnnalsError {
        .projectionUnavailable(
            name: view.name,
            reason: "\(behind), and catching it up failed: \(reason); "
                + ProjectionMaintenancePlan.rebuildAdvice(view.name))
    }

    private var behind: String { "it is at offset \(view.checkpoint), behind the log head \(head)" }
}

/// Catches up, while the store is open, the views of this process's projections that appends by another process left
/// behind the log (one that does not register them, such as `annals append` next to an application with projections
/// of its own): their events were not applied to those views, which stay where they were.
///
/// An open catches such views up; after it, two things do. The writer, after an append group that found a view
/// behind (the group applies only the views at the head), starts a catch-up on a background thread. A read of a view
/// that is behind (``EventStore/read(projection:_:)``, a query, a search, a snapshot, a rollback's plan) catches it up
/// on its own thread and reads again, waiting for a catch-up already running. Either replays the missing events into
/// the view's current slot (``ProjectionRebuilder``, kind `.catchUp`): in memory on every core for a long stretch,
/// then in the writer's transaction up to the head, after which appends apply the view again.
///
/// A catch-up that fails (a projection that throws while replaying an event) is remembered with the checkpoint it
/// started from, and neither appends nor reads try it again while the view stands there: every read of it fails at
/// once with the reason, until a rebuild (or another process) moves the view.
final class ViewCatchUp: @unchecked Sendable {
    weak var store: EventStore?
    private let background = BackgroundWork(name: "annals.catchup")
    /// The views whose last catch-up failed, by name: the checkpoint it started from, and why (under the lock).
    private var failures: [String: (checkpoint: UInt64, reason: String)] = [:]

    /// The batches waiting for a catch-up (``hold(_:)``), and whether a thread is catching up for them (under the
    /// lock).
    private var held: [AppendRequest] = []
    private var releasing = false

    /// How many times one batch waits for a catch-up before it fails: another process appended again each time.
    static let maximumWaits = 3

    /// From the writer thread: `waiting` are batches that hold an event which a projection whose view is behind the
    /// log may reject (``ViewsNotLive``). Each is submitted again once a catch-up has run after it was held (on a
    /// thread of its own, `annals.waiting`, which waits for a catch-up already running), unless that view's catch-up
    /// failed from where it stands, or the batch has waited ``maximumWaits`` times already: it then fails with
    /// ``AnnalsError/projectionUnavailable(name:reason:)``, as a read of the view would.
    func hold(_ waiting: [(request: AppendRequest, behind: ViewLeftBehind)]) {
        var holding: [AppendRequest] = []
        for (request, behind) in waiting {
            request.catchUpWaits += 1
            if let failure = failure(of: behind.view) {
                request.completion(.failure(behind.failed(failure)))
            } else if request.catchUpWaits > Self.maximumWaits {
                request.completion(
                    .failure(
                        behind.unavailable(
                            advice: "the append waited for its catch-up \(Self.maximumWaits) times, and another "
                                + "process appended again each time; append again")))
            } else {
                holding.append(request)
            }
        }
        guard !holding.isEmpty else { return }
        let starting = background.withLock { () -> Bool in
            held += holding
            defer { releasing = true }
            return !releasing
        }
        guard starting else { return }
        let thread = Thread { [self] in
            nameCurrentThread("annals.waiting")
            releaseHeld()
        }
        thread.name = "annals.waiting"
        thread.start()
    }

    /// Catches up the views behind the log (after a catch-up already running), then submits the held batches again,
    /// until none is left.
    private func releaseHeld() {
        while true {
            // A failure is the view's (``failure(of:)``, which the next hold reports) or ends the store (a closed
            // store fails the batches it is given again).
            _ = try? catchUpNow()
            let batches = background.withLock { () -> [AppendRequest] in
                defer { held = [] }
                if held.isEmpty { releasing = false }
                return held
            }
            guard !batches.isEmpty else { return }
            for request in batches {
                if let store { store.resubmit(request) } else { request.completion(.failure(.closed)) }
            }
        }
    }

    /// From the writer thread, after an append group that found `views` behind: starts catching them up on a
    /// background thread, unless a catch-up is running or each of them failed from where it stands.
    func consider(_ views: [LaggingView]) {
        guard let store else { return }
        background.start(ifDue: { views.contains { failures[$0.name]?.checkpoint != $0.checkpoint } }) { [self] in
            _ = try? catchUp(store)
        }
    }

    /// For a read that found a view behind: catches up every view behind that did not fail from where it stands, on
    /// the calling thread, once a catch-up running in the background has ended.
    /// - Throws: What the catch-up failed with, other than a projection's own failure (which ``failure(of:)`` then
    ///   reports): a full disk, a closed store.
    func catchUpNow() throws {
        guard let store else { throw AnnalsError.closed }
        _ = try background.runHere { try catchUp(store) }
    }

    /// Why the last catch-up of `view` failed, if it failed from the checkpoint where the view stands.
    func failure(of view: LaggingView) -> String? {
        background.withLock { failures[view.name].flatMap { $0.checkpoint == view.checkpoint ? $0.reason : nil } }
    }

    /// Starts no more catch-ups; with `wait`, waits for a running one to end.
    func stop(wait: Bool) { background.stop(wait: wait) }

    /// Catches up the views behind the log, except those that failed from where they stand. A view whose replay
    /// fails is remembered (``failure(of:)``) and the others are caught up without it.
    private func catchUp(_ store: EventStore) throws {
        var failed: Set<String> = []
        while true {
            let behind = try store.environment.read { txn in
                try store.projections.behind(head: try txn.lastOffset(store.schema), txn.handle)
            }
            let due = background.withLock {
                behind.filter { !failed.contains($0.name) && failures[$0.name]?.checkpoint != $0.checkpoint }
            }
            guard !due.isEmpty else { return }
            do {
                _ = try ProjectionRebuilder(store: store, kind: .catchUp).run(due.map(\.name))
                background.withLock { for view in due { failures[view.name] = nil } }
                return
            } catch let error as AnnalsError {
                // A projection's own failure names it; any other (a full disk, a closed store) ends the catch-up.
                guard case .projectionUnavailable(let name, let reason) = error,
                    let view = due.first(where: { $0.name == name })
                else { throw error }
                background.withLock { failures[name] = (view.checkpoint, reason) }
                failed.insert(name)
            }
        }
    }
}

extension EventStore {
    /// Runs `read`, a read of live views, and when a view it reads is behind the log head, catches the view up
    /// (``ViewCatchUp``) and runs it again, at most three times. `read` must throw ``ViewLeftBehind`` only before it
    /// has done anything (as ``liveTables(_:head:_:)`` does, before a caller's closure runs).
    ///
    /// A read-only store, or a read that cannot wait for the writer (on the writer thread, or inside a read
    /// transaction), gets ``AnnalsError/projectionUnavailable(name:reason:)`` instead, as does a view whose catch-up
    /// failed.
    func readingLiveViews<R>(_ read: () throws -> R) throws -> R {
        var attempts = 0
        while true {
            do {
                return try read()
            } catch let behind as ViewLeftBehind {
                attempts += 1
                if let refusal = lastingRefusalToCatchUp(behind) { throw refusal }
                guard (try? refuseWaitingForWriter("read")) != nil else {
                    throw behind.unavailable(
                        advice: "this store's next append, or a read made outside a read transaction and off the "
                            + "writer thread, catches it up")
                }
                guard attempts <= 3 else {
                    throw behind.unavailable(
                        advice: "caught up three times, another process appended again each time; read again")
                }
                try viewCatchUp?.catchUpNow()
            }
        }
    }

    /// Why no read of this store can catch up the view `behind` names while it stands there, or `nil`: the store is
    /// read-only, or the view's last catch-up failed from its checkpoint.
    func lastingRefusalToCatchUp(_ behind: ViewLeftBehind) -> AnnalsError? {
        guard let viewCatchUp else { return behind.unavailable(advice: "a writable open catches it up") }
        if let failure = viewCatchUp.failure(of: behind.view) { return behind.failed(failure) }
        return nil
    }
}
