import Annals
import Crypto
import Foundation

extension UUID {
    /// The platform's namespace of name-based ids (RFC 9562 UUIDv5), so that its names can never give the ids of
    /// another producer's names.
    static let platformNamespace = UUID(uuidString: "d2d5595a-f89c-42ce-a646-13bfff351f23")!

    /// The RFC 9562 version 5 UUID of `name` in `namespace`: the first 16 bytes of the SHA-1 of the namespace's
    /// bytes followed by the name's UTF-8, with the version (5) and variant (`0b10`) bits set.
    ///
    /// The same name always gives the same id, which makes an append with it idempotent. Version 5 ids can
    /// collide neither with random (version 4) ids nor with the ids the engine assigns (version 8, see
    /// `EventIdentity`), which an append would refuse as a client id.
    init(named name: String, in namespace: UUID) {
        var hash = Insecure.SHA1()
        withUnsafeBytes(of: namespace.uuid) { hash.update(bufferPointer: $0) }
        hash.update(data: Array(name.utf8))
        var bytes = Array(hash.finalize().prefix(16))
        bytes[6] = 0x50 | bytes[6] & 0x0F
        bytes[8] = 0x80 | bytes[8] & 0x3F
        self.init(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    /// The name-based id (``init(named:in:)``) in ``platformNamespace`` of `components`, named by their canonical
    /// JSON array: two different lists never share a name, whatever characters their strings hold. The first
    /// component says what the id is for, so ids derived for different purposes never share a name either.
    init(naming components: [String]) {
        let name = JSONValue.array(components.map(JSONValue.string)).canonicalBytes
        self.init(named: String(decoding: name, as: UTF8.self), in: .platformNamespace)
    }
}
