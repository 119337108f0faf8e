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
        var b = [UInt8](repeating: 0, count: 16)
        let n = nonce & 0x0FFF_FFFF_FFFF_FFFF
        b[0] = UInt8(truncatingIfNeeded: n >> 52)
        b[1] = UInt8(truncatingIfNeeded: n >> 44)
        b[2] = UInt8(truncatingIfNeeded: n >> 36)
        b[3] = UInt8(truncatingIfNeeded: n >> 28)
        b[4] = UInt8(truncatingIfNeeded: n >> 20)
        b[5] = UInt8(truncatingIfNeeded: n >> 12)
        b[6] = 0x80 | UInt8(truncatingIfNeeded: (n >> 8) & 0x0F)
        b[7] = UInt8(truncatingIfNeeded: n)
        b[8] = 0x80 | UInt8(truncatingIfNeeded: (offset >> 56) & 0x3F)
        for i in 0..<7 { b[9 + i] = UInt8(truncatingIfNeeded: offset >> UInt64(48 - 8 * i)) }
        return UUID(
            uuid: (
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]
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
