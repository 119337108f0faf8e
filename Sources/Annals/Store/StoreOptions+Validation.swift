import CZstd
import LMDB

extension StoreOptions {
    /// The most reader slots ``maximumReaders`` may ask for: a lock file of 64 MiB.
    public static let maximumReaderSlots: UInt32 = EnvironmentOptions.maximumReaderSlots

    /// The largest ``maximumEventSize`` (256 MiB): what every reader decompresses a record into at most
    /// (docs/FORMAT.md), so that each event appended can be read back.
    public static let largestEventSize = ZstdDecompressor.maximumOutput

    /// Checks that every option is in its range, and the projections' names and tables, before anything is opened.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming the first option out of range and its value, such as
    ///   `StoreOptions.maximumEventSize must be from 1 to 268435456, got -5`, or the projection and what is wrong
    ///   with it.
    func validate() throws(AnnalsError) {
        func require(_ condition: Bool, _ option: String, _ rule: String, _ value: some CustomStringConvertible)
            throws(AnnalsError)
        {
            guard condition else { throw .invalidArgument("StoreOptions.\(option) must be \(rule), got \(value)") }
        }
        // A larger event would be committed, but no reader could decompress it: the log would read as damaged.
        try require(
            (1...Self.largestEventSize).contains(maximumEventSize), "maximumEventSize",
            "from 1 to \(Self.largestEventSize)", maximumEventSize)
        try require(initialMapSize >= 1, "initialMapSize", "at least 1", initialMapSize)
        try require(
            maximumMapSize >= initialMapSize, "maximumMapSize", "at least initialMapSize (\(initialMapSize))",
            maximumMapSize)
        // Each slot takes 64 bytes of `lock.mdb`, whose blocks the open reserves: UInt32.max slots would ask for
        // 256 GiB and fill the disk before failing.
        try require(
            (1...Self.maximumReaderSlots).contains(maximumReaders), "maximumReaders",
            "from 1 to \(Self.maximumReaderSlots)", maximumReaders)
        try require(maximumEventsPerCommit >= 1, "maximumEventsPerCommit", "at least 1", maximumEventsPerCommit)
        try require(
            dictionaryTrainingThreshold >= 0, "dictionaryTrainingThreshold", "at least 0 (0: no automatic training)",
            dictionaryTrainingThreshold)
        let levels = ZSTD_minCLevel()...ZSTD_maxCLevel()
        try require(
            levels.contains(compressionLevel), "compressionLevel",
            "a zstd level from \(levels.lowerBound) to \(levels.upperBound)", compressionLevel)
        try require(
            syncInterval > 0 && syncInterval.isFinite, "syncInterval", "a positive number of seconds", syncInterval)
        try require(
            staleReaderCheckInterval > 0 && staleReaderCheckInterval.isFinite, "staleReaderCheckInterval",
            "a positive number of seconds", staleReaderCheckInterval)
        try require(indexMergeInterval >= 1, "indexMergeInterval", "at least 1", indexMergeInterval)
        try require(
            snapshotInterval >= 0, "snapshotInterval", "at least 0 (0: no automatic snapshots)", snapshotInterval)
        try ProjectionCatalog.validate(projections)
    }
}
