import Annals

/// The sizes of one benchmark run: the full configuration or the `--quick` one.
struct BenchSettings: Sendable {
    /// `full` or `quick`, for progress lines.
    let name: String
    /// The events the batch benchmarks append, and the read and storage benchmarks then read and measure.
    let events: Int
    /// Events per batch (per transaction, for the baselines).
    let batchSize: Int
    /// Batches the pipelined client keeps in flight.
    let pipelineDepth: Int
    /// Tasks appending one event at a time in `append.concurrent`.
    let concurrentAppenders: Int
    /// Events all the concurrent appenders append together.
    let concurrentEvents: Int
    /// Events the raw LMDB baseline commits one per synced transaction.
    let singleCommitEvents: Int
    /// The workload generator's seed: the same events on every run.
    let seed: UInt64
    /// Single events appended, and timed through `annals tail -f`, for `tail.latency`.
    let tailEvents: Int
    /// Untimed events appended before them, so the tail and the store are warm.
    let tailWarmUpEvents: Int
    /// The pace of the `tail.latency` appends, in events per second.
    let tailEventsPerSecond: Double
    /// The stream `append.batch.projected`, `state.at` and `rebuild.all` append: 1,000,000 ontology events, or
    /// 50,000 with `--quick` (every projection size is divided by 20 there).
    let ontologyHistory: OntologyShape
    /// The knowledge base `search.vector` searches: 100,000 items about 5,000 things, or 5,000 about 250.
    let knowledgeBase: OntologyShape
    /// The snapshot interval of the `state.at` store: the default ``StoreOptions/snapshotInterval`` (25,000
    /// events), or 1,250 with `--quick`, so a quick run still replays from snapshots.
    let snapshotInterval: Int
    /// The random offsets `state.at` asks for.
    let stateQueries: Int
    /// The searches `search.vector` times after its warm-up.
    let searchQueries: Int

    /// The full run (1,000,000 events) or, with `quick`, a short one (100,000 events; a twentieth of the
    /// projection benchmarks' sizes).
    ///
    /// The synced-commit counts are sized for a disk whose `fdatasync` takes about 5 ms, so `--quick` stays near a
    /// minute there; on a fast disk (0.1–0.2 ms) the whole quick run takes seconds.
    init(quick: Bool) {
        name = quick ? "quick" : "full"
        events = quick ? 100_000 : 1_000_000
        batchSize = 1_000
        pipelineDepth = 8
        concurrentAppenders = 64
        concurrentEvents = quick ? 20_000 : 100_000
        singleCommitEvents = quick ? 2_000 : 5_000
        seed = 42
        tailEvents = quick ? 1_000 : 3_000
        tailWarmUpEvents = 100
        tailEventsPerSecond = 1_000
        let scale = quick ? 20 : 1
        ontologyHistory = .history(scale: scale)
        knowledgeBase = .knowledgeBase(scale: scale)
        snapshotInterval = StoreOptions().snapshotInterval / scale
        stateQueries = 30
        searchQueries = 50
    }
}
