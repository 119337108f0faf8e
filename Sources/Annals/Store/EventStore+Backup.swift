import Foundation
import LMDB

extension EventStore {
    /// Writes a consistent, compacted copy of the store into `destination` while appends continue.
    ///
    /// The copy is the state of one read transaction: every event committed before it began, none after. Free
    /// pages are left out. `destination` must not exist or be an empty directory. The copy is synced to disk
    /// before this returns; a copy that fails (a full disk, say), or that cannot be opened to read its head (which is
    /// read before the copy is moved into `destination`), leaves `destination` as it found it, and removes the parent
    /// directories it created for it. A compacted copy
    /// follows every page of every database, so a store whose pages are damaged is refused first
    /// (``Environment/checkStructure(of:includingLeaves:limitingTo:includingFreeList:)``): LMDB would crash following
    /// them.
    /// - Parameters:
    ///   - destination: The directory to write the copy to.
    ///   - rewritingRecords: Copy record by record (see below).
    ///   - keepingDamagedCopy: Keep a copy whose head does not check out (``checkedHead()`` throws
    ///     ``AnnalsError/corruptRecord(offset:reason:)`` for it: a tail cut off, `meta`'s `chain.head` damaged) in
    ///     `destination` as evidence, instead of removing it. The backup still throws that error, its reason ending in
    ///     where the copy was kept.
    /// - Returns: The head of the copy.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` when `destination` is empty or holds files, ``AnnalsError/storage(_:)``
    ///   (with `LMDBError.Code.corrupted` for damaged pages), ``AnnalsError/corruptRecord(offset:reason:)`` when the
    ///   copy's head does not check out: the reason says whether the copy was removed (the default) or kept.
    ///
    /// The corresponding C function is `mdb_env_copy2` with `MDB_CP_COMPACT`.
    ///
    /// With `rewritingRecords`, the copy is written record by record instead (``Environment/copyRecords(of:to:)``):
    /// slower, but it reads only the databases' own pages, not LMDB's free-page lists, so it also copies a store whose
    /// free-page lists are damaged, which writers refuse to open; the copy is a sound store to write to.
    @discardableResult
    public func backup(
        to destination: String, rewritingRecords: Bool = false, keepingDamagedCopy: Bool = false
    ) throws(AnnalsError) -> LogHead {
        guard !destination.isEmpty else { throw .invalidArgument("the backup destination is empty") }
        // A record-by-record copy reads no free-page list, so a damaged one does not stop it.
        try requireSoundPages(
            of: nil, includingFreeList: !rewritingRecords, operation: "backup",
            rewritingRecords
                ? "the store's pages are damaged, and a copy would follow them"
                : "the store's pages are damaged, and a compacted copy would follow them")
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        let existed = files.fileExists(atPath: destination, isDirectory: &isDirectory)
        // The directories this backup created, outermost first: a failed copy removes them (each only if empty,
        // so nothing another process put there meanwhile goes with them).
        var created: [String] = []
        if existed {
            guard isDirectory.boolValue, (try? files.contentsOfDirectory(atPath: destination))?.isEmpty == true else {
                throw .invalidArgument("backup destination \(destination) exists and is not an empty directory")
            }
        } else {
            var missing: [String] = []
            var level = destination
            while !level.isEmpty, level != "/", !files.fileExists(atPath: level) {
                missing.insert(level, at: 0)
                level = PathComponents.parent(of: level)
            }
            for directory in missing {
                if mkdir(directory, 0o755) == 0 {
                    created.append(directory)
                } else if errno != EEXIST {  // (made meanwhile by someone else: not ours to remove)
                    let reason = String(cString: strerror(errno))
                    Self.removeEmpty(created)
                    throw .io("cannot create backup directory \(directory): \(reason)")
                }
            }
        }
        // The head is read from the finished copy before it is moved into `destination`: a backup killed at any point
        // before that move leaves no data.mdb there, and one that cannot be opened (no room for its lock file, say)
        // fails like a copy that failed part way.
        var head: LogHead?
        var openFailure: AnnalsError?
        // With `keepingDamagedCopy`, a head that does not check out lets the copy be published, then is thrown.
        var damagedHead: (offset: UInt64, reason: String)?
        let readHead: Environment.CopyCheck = { staging throws(LMDBError) in
            do throws(AnnalsError) {
                let copy = try EventStore(path: staging, options: StoreOptions(readOnly: true, createIfMissing: false))
                defer { copy.close() }
                do throws(AnnalsError) {
                    head = try copy.checkedHead()
                } catch .corruptRecord(let offset, let reason) where keepingDamagedCopy {
                    damagedHead = (offset, reason)
                }
            } catch {
                openFailure = error
                throw LMDBError(code: .invalid, operation: "opening the copy to read its head")
            }
        }
        do {
            if rewritingRecords {
                _ = try environment.copyRecords(
                    of: try environment.databaseNames(), to: destination, checkingBeforePublishing: readHead)
            } else {
                try environment.copy(to: destination, compact: true, checkingBeforePublishing: readHead)
            }
        } catch {
            // The copy removed its own files; the directories it made for them go too.
            Self.removeEmpty(created)
            if case .corruptRecord(let offset, let reason) = openFailure {
                throw .corruptRecord(offset: offset, reason: reason + "; the copy was removed")
            }
            throw openFailure ?? AnnalsError(error)
        }
        if let damagedHead {
            throw .corruptRecord(
                offset: damagedHead.offset,
                reason: damagedHead.reason + "; the copy was kept in \(destination), as it is, for inspection")
        }
        return head!
    }

    /// Removes `directories` (outermost first) deepest first, each only if it is empty.
    private static func removeEmpty(_ directories: [String]) {
        for directory in directories.reversed() { rmdir(directory) }
    }
}
