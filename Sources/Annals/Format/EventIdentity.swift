import Foundation

/// Ids the engine assigns: RFC 9562 UUIDv8 values that carry the store's 60-bit nonce and the event's offset.
///
/// ```
/// bytes 0–5   nonce bits 59–12
/// byte  6     0x80 | nonce bits 11–8      (version 8)
/// byte  7     nonce bits 7–0
/// byte  8     0x80 | offset bits 61–56    (variant 0b10)
/// bytes 9–15  offset bits 55–0
/// ```
/// An assigned id therefore needs no index entry and no bytes in the record: the offset is in the id. Client
/// ids that would fall in this store's namespace are refused, so the two kinds can never collide.
struct EventIdentity: Sendable, Equatable {
    /// The store's nonce (60 bits), drawn at `init`.
    let nonce: UInt64

    /// The id assigned to the event at `offset`.
    func assignedID(offset: UInt64) -> UUID {
        let n = nonce & 0x0FFF_FFFF_FFFF_FFFF
        @inline(__always) func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 {
            UInt8(truncatingIfNeeded: value >> shift)
        }
        return UUID(
            uuid: (
                byte(n, 52), byte(n, 44), byte(n, 36), byte(n, 28), byte(n, 20), byte(n, 12),
                0x80 | byte(n >> 8, 0) & 0x0F, byte(n, 0),
                0x80 | byte(offset, 56) & 0x3F, byte(offset, 48), byte(offset, 40), byte(offset, 32),
                byte(offset, 24), byte(offset, 16), byte(offset, 8), byte(offset, 0)
            ))
    }

    /// The offset encoded in `id` if this store assigned it, else `nil`.
    func offset(ofAssigned id: UUID) -> UInt64? {
        let u = id.uuid
        let probe = assignedID(offset: 0).uuid
        guard u.0 == probe.0, u.1 == probe.1, u.2 == probe.2, u.3 == probe.3, u.4 == probe.4, u.5 == probe.5,
            u.6 == probe.6, u.7 == probe.7, u.8 & 0xC0 == 0x80
        else { return nil }
        var offset = UInt64(u.8 & 0x3F) << 56
        let tail = [u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        for (i, byte) in tail.enumerated() { offset |= UInt64(byte) << UInt64(48 - 8 * i) }
        return offset
    }

    /// Whether a client-supplied id falls in the namespace of assigned ids.
    func isReserved(_ id: UUID) -> Bool { offset(ofAssigned: id) != nil }
}

extension UUID {
    /// The 16 bytes of the UUID.
    var bytes: [UInt8] {
        withUnsafeBytes(of: uuid) { Array($0) }
    }

    init(bytes buffer: UnsafeRawBufferPointer) {
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer.prefix(16))) }
        self.init(uuid: raw)
    }
}
