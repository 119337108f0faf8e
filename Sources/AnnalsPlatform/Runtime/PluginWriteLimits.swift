/// What one plugin execution may write through its host functions, and how large a plugin's key/value state may
/// grow.
///
/// Host calls cost a plugin almost no fuel, so without these limits one execution could append events until its
/// timeout, or grow the store by hundreds of megabytes with `kv_set`. A host call past a limit is refused before
/// it writes anything, with a message naming the limit and the amount; like every refused host call, it fails the
/// execution with `trap`, and the writes made before it stay in the log.
///
/// ```swift
/// let runtime = PluginRuntime(store: store, writeLimits: PluginWriteLimits(maxWrites: 100))
/// ```
public struct PluginWriteLimits: Sendable, Hashable {
    /// The most writes one execution may make: `events_append` and `kv_set` calls that succeed (default 1,000).
    public var maxWrites: Int
    /// The most bytes one execution may write (default 8 MiB): each appended event's JSON, as the plugin passed it,
    /// and each `kv_set`'s key and value.
    public var maxBytes: Int
    /// The most bytes a plugin's key/value state in one organization may hold (default 1 MiB): the UTF-8 bytes of
    /// all its keys and values together, as they would be after a `kv_set`. A `kv_set` that would take the state
    /// past it is refused; one that keeps it within (a smaller value for a key) is not.
    public var maxKVStateBytes: Int

    /// Write limits; the defaults are 1,000 writes and 8 MiB per execution, and 1 MiB of key/value state.
    /// - Parameters:
    ///   - maxWrites: The most successful `events_append` and `kv_set` calls of one execution (at least 0).
    ///   - maxBytes: The most bytes one execution may write (at least 0).
    ///   - maxKVStateBytes: The most bytes of a plugin's key/value state in one organization (at least 0).
    public init(maxWrites: Int = 1_000, maxBytes: Int = 8 << 20, maxKVStateBytes: Int = 1 << 20) {
        self.maxWrites = max(0, maxWrites)
        self.maxBytes = max(0, maxBytes)
        self.maxKVStateBytes = max(0, maxKVStateBytes)
    }
}
