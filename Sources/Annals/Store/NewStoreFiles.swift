import Foundation
import LMDB

/// The files an open that creates a store finds in its directory before it starts (there is no `data.mdb`), so that
/// a creation that fails removes again what it made: `data.mdb`, and `lock.mdb` and `watermark` unless they were
/// there before. Nothing is removed while any process has the store open, nor once another process has made it its
/// store (given it its format version, or opened it for writing).
struct NewStoreFiles {
    /// The store's directory.
    let directory: String
    private let lockFileExisted: Bool
    private let watermarkExisted: Bool

    /// Notes which of the files an open creates exist in `directory` now.
    init(directory: String) {
        self.directory = directory
        let files = FileManager.default
        lockFileExisted = files.fileExists(atPath: directory + "/lock.mdb")
        watermarkExisted = files.fileExists(atPath: directory + "/watermark")
    }

    /// Removes the files of a creation that failed, once the open has closed its environment
    /// (``Environment/removeUnusedFiles(_:in:)``, which leaves them to any process that has the store open).
    /// - Parameters:
    ///   - openedWatermark: Whether the open got as far as opening (creating) the `watermark` file.
    ///   - wroteFormat: Whether the open gave the store its format version (``EventStore/isNewlyCreated``), or `nil`
    ///     when it failed before that.
    func removeAfterFailure(openedWatermark: Bool, wroteFormat: Bool?) {
        // Another process created the store meanwhile: it wrote the format version, or it opened the store for
        // writing (every writable open creates the watermark file, once the store is complete).
        if wroteFormat == false { return }
        let watermarkExists = FileManager.default.fileExists(atPath: directory + "/watermark")
        if !watermarkExisted && watermarkExists && !openedWatermark { return }
        var names = ["data.mdb"]
        if !lockFileExisted { names.append("lock.mdb") }
        if !watermarkExisted { names.append("watermark") }
        _ = Environment.removeUnusedFiles(names, in: directory)
    }
}
