/// Where a projection's live view stands, kept in the `projections` database under `state/NAME`.
struct ProjectionState: Equatable, Sendable {
    /// The slot (0 or 1) whose tables readers and appends use.
    var slot: UInt8
    /// The ``Projection/version`` the slot was built with.
    var version: Int
    /// The ``Projection/configuration`` the slot was built with.
    var configuration: String
    /// The last log offset applied to the slot.
    var checkpoint: UInt64

    /// Whether `projection`'s code built this view (same version and configuration).
    func matches(_ projection: any Projection) -> Bool {
        version == projection.version && configuration == projection.configuration
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 32 + configuration.utf8.count)
        writer.u8(1)
        writer.u8(slot)
        writer.varint(UInt64(version))
        writer.raw(checkpoint.bigEndianBytes)
        writer.lengthPrefixed(Array(configuration.utf8))
        return writer.bytes
    }

    init(slot: UInt8, version: Int, configuration: String, checkpoint: UInt64) {
        self.slot = slot
        self.version = version
        self.configuration = configuration
        self.checkpoint = checkpoint
    }

    init(decoding bytes: UnsafeRawBufferPointer, name: String) throws(AnnalsError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.u8() == 1 else { throw AnnalsError.unsupportedFormat("projection state of '\(name)'") }
            slot = try reader.u8()
            version = Int(truncatingIfNeeded: try reader.varint())
            checkpoint = UInt64(bigEndianBytes: try reader.bytes(8))
            configuration = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
        } catch let error as AnnalsError {
            throw error
        } catch {
            throw .unsupportedFormat("projection state of '\(name)' is truncated")
        }
        guard slot < 2 else { throw .unsupportedFormat("projection state of '\(name)' names slot \(slot)") }
    }
}

/// A rebuild in progress, kept under `rebuild/NAME` until the rebuilt slot is swapped in: the target slot, the
/// code it is built with, and the last offset replayed into it. A killed rebuild resumes from here.
struct RebuildProgress: Equatable, Sendable {
    /// The slot being rebuilt (the one readers do not use).
    var slot: UInt8
    /// The projection version being built.
    var version: Int
    /// The configuration being built.
    var configuration: String
    /// The last offset replayed into the slot.
    var progress: UInt64

    var asState: ProjectionState {
        ProjectionState(slot: slot, version: version, configuration: configuration, checkpoint: progress)
    }

    init(_ state: ProjectionState) {
        slot = state.slot
        version = state.version
        configuration = state.configuration
        progress = state.checkpoint
    }
}
