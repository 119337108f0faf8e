/// The rules an event's envelope must follow (docs/FORMAT.md, "Envelope").
enum EventValidation {
    /// The longest accepted `type`, in bytes.
    static let maximumTypeLength = 128
    /// The latest accepted timestamp: 9999-12-31T23:59:59.999Z, the last instant a four-digit year writes.
    static let maximumTimestamp: Int64 = 253_402_300_799_999
    /// The longest accepted `actorId`, `targetId` or `groupId`, in UTF-8 bytes (an LMDB key holds at most 511).
    static let maximumIdentifierLength = 256

    /// Checks the envelope of the event at `index` in its batch; the size limit is checked once encoded.
    static func validate(_ event: NewEvent, index: Int) throws(AnnalsError) {
        try validateType(event.type, index: index)
        try validateIdentifier(event.actorId, field: "actorId", index: index)
        try validateIdentifier(event.targetId, field: "targetId", index: index)
        try validateIdentifier(event.groupId, field: "groupId", index: index)
        if let timestamp = event.timestamp, timestamp < 0 {
            throw .invalidEvent(
                index: index, field: "timestamp", reason: "must be milliseconds since 1970, not negative")
        }
        if let timestamp = event.timestamp, timestamp > maximumTimestamp {
            throw .invalidEvent(
                index: index, field: "timestamp",
                reason: "is \(timestamp) ms, after 9999-12-31T23:59:59.999Z (\(maximumTimestamp))")
        }
        guard case .object = event.metadata else {
            throw .invalidEvent(index: index, field: "metadata", reason: "must be a JSON object")
        }
        if event.expectedVersion != nil && event.targetId == nil {
            throw .invalidEvent(index: index, field: "expectedVersion", reason: "requires a targetId")
        }
    }

    static func validateType(_ type: String, index: Int) throws(AnnalsError) {
        let bytes = type.utf8
        if bytes.isEmpty { throw .invalidEvent(index: index, field: "type", reason: "must not be empty") }
        if bytes.count > maximumTypeLength {
            throw .invalidEvent(
                index: index, field: "type", reason: "is \(bytes.count) bytes, longer than \(maximumTypeLength)")
        }
        for byte in bytes where !isTypeByte(byte) {
            let shown =
                byte < 0x80 && byte >= 0x20
                ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
            throw .invalidEvent(
                index: index, field: "type", reason: "contains \(shown); allowed are A-Z a-z 0-9 _ . : -")
        }
    }

    @inline(__always)
    static func isTypeByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"),
            UInt8(ascii: "-"):
            true
        default: false
        }
    }

    static func validateIdentifier(_ value: String?, field: String, index: Int) throws(AnnalsError) {
        guard let value else { return }
        let bytes = value.utf8
        if bytes.isEmpty {
            throw .invalidEvent(index: index, field: field, reason: "must not be empty (omit it instead)")
        }
        if bytes.count > maximumIdentifierLength {
            throw .invalidEvent(
                index: index, field: field,
                reason: "is \(bytes.count) bytes, longer than \(maximumIdentifierLength)")
        }
        if ByteScan.utf8(of: value, ByteScan.containsControlCharacter) {
            throw .invalidEvent(index: index, field: field, reason: "contains a control character")
        }
        if !isNFC(value) {
            throw .invalidEvent(
                index: index, field: field,
                reason: "is not in Unicode normalization form C (NFC); normalize it before appending")
        }
    }

    /// Whether `value`'s bytes are already in Unicode normalization form C.
    ///
    /// Swift compares and hashes strings by canonical equivalence, while the indexes key on bytes: requiring NFC
    /// makes the two agree, so two spellings of one identifier can never be one symbol in memory and two on disk.
    static func isNFC(_ value: String) -> Bool {
        // ASCII (nearly every identifier) is NFC: no second string, no comparison.
        !ByteScan.utf8(of: value, ByteScan.containsNonASCII)
            || value.utf8.elementsEqual(value.precomposedStringWithCanonicalMapping.utf8)
    }
}

extension String {
    /// This string in Unicode normalization form C: the one spelling under which views store names and ids, and to
    /// which queries map theirs, so that canonically equivalent spellings (which Swift compares as equal) find the
    /// same entries in byte-keyed indexes.
    var canonicalSpelling: String {
        if !ByteScan.utf8(of: self, ByteScan.containsNonASCII) { return self }
        return precomposedStringWithCanonicalMapping
    }

    /// The bytes under which the indexes store this identifier: its UTF-8 in normalization form C (stored
    /// identifiers are NFC, so a query spelled another way finds them too).
    var indexSymbol: [UInt8] { Array(canonicalSpelling.utf8) }
}

import Foundation

extension NewEvent {
    /// Why `value` cannot be an event's `actorId`, `targetId` or `groupId`, or `nil` when it can: it must be 1–256
    /// bytes of UTF-8 in Unicode normalization form C, without control characters (docs/FORMAT.md, "Envelope").
    /// Lets a caller that puts a value it was given into events it builds (the `--actor` of a rollback) refuse it
    /// before it plans anything, naming where the value came from.
    public static func identifierProblem(_ value: String) -> String? {
        do {
            try EventValidation.validateIdentifier(value, field: "actorId", index: 0)
            return nil
        } catch {
            if case .invalidEvent(_, _, let reason) = error { return reason }
            return error.description
        }
    }
}
