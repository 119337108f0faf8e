/// Whether a plugin's output carries a secret's value: as the bytes themselves, or inside a JSON string where
/// escapes (`\u0073k-…`, `\/`) would hide it from a search of the raw bytes.
enum SecretScan {
    /// Why a write to the store by `function` (`events_append`, `kv_set`) is refused, if it is: one of `parts` (what
    /// the write holds, such as `the event` or `the key`, and its bytes) carries the value of a secret of `secrets`.
    /// The store keeps everything forever, so a secret must not reach it. The in-process sandbox checks writes with it
    /// (``HostBindings``), and so does a worker's parent (``WorkerHostCalls``), which does not trust the worker.
    static func writeRefusal(
        _ function: HostFunction, _ parts: [(what: String, bytes: [UInt8])], secrets: [(name: String, value: String)]
    ) -> String? {
        let outcome = function == .eventsAppend ? "it was not appended" : "nothing was stored"
        for part in parts {
            if let index = first(of: secrets.map(\.value), in: part.bytes) {
                return
                    "\(function.rawValue): \(part.what) contains the value of secret \(secrets[index].name); \(outcome)"
            }
        }
        return nil
    }

    /// Whether `value` occurs in `output`, raw or in the decoded text of one of its JSON strings.
    static func occurs(_ value: String, in output: [UInt8]) -> Bool {
        first(of: [value], in: output) != nil
    }

    /// The index in `values` of the first that occurs in `output` (raw, or behind escapes); the output's strings are
    /// decoded once, whatever the number of values. Best effort: a value a plugin splits or transforms is not found.
    static func first(of values: [String], in output: [UInt8]) -> Int? {
        var decoded: [[UInt8]]?
        for (index, value) in values.enumerated() {
            let needle = Array(value.utf8)
            guard !needle.isEmpty else { continue }
            if output.firstRange(of: needle) != nil { return index }
            if decoded == nil { decoded = decodedStrings(in: output) }
            if decoded!.contains(where: { $0.firstRange(of: needle) != nil }) { return index }
        }
        return nil
    }

    /// `text` with every occurrence of a secret's value replaced by `<secret NAME>`, matched on UTF-8 bytes as
    /// ``first(of:in:)`` matches. `String.replacing` compares whole grapheme clusters, so a combining mark written
    /// right after a value (U+0301) merged with its last character and hid the value from it; a byte match of a whole
    /// value always starts and ends on a scalar boundary, so the text stays valid UTF-8.
    static func redacting(_ text: String, _ secrets: [(name: String, value: String)]) -> String {
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets {
            let needle = Array(secret.value.utf8)
            guard !needle.isEmpty, bytes.firstRange(of: needle) != nil else { continue }
            let replacement = Array("<secret \(secret.name)>".utf8)
            var redacted: [UInt8] = []
            redacted.reserveCapacity(bytes.count)
            var index = 0
            while let found = bytes[index...].firstRange(of: needle) {
                redacted += bytes[index..<found.lowerBound]
                redacted += replacement
                index = found.upperBound
            }
            redacted += bytes[index...]
            bytes = redacted
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// The UTF-8 text of every JSON string literal in `bytes` that contains an escape, decoded; best effort on text
    /// that is not valid JSON (an unfinished string is decoded as far as it goes).
    static func decodedStrings(in bytes: [UInt8]) -> [[UInt8]] {
        var strings: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            index += 1
            var text: [UInt8] = []
            var escaped = false
            var pendingHighSurrogate: UInt32?
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                    text.append(bytes[index])
                    index += 1
                    continue
                }
                escaped = true
                let code = bytes[index + 1]
                index += 2
                switch code {
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count,
                        let unit = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
                    else { continue }
                    index += 4
                    if (0xD800...0xDBFF).contains(unit) {
                        pendingHighSurrogate = unit
                        continue
                    }
                    var scalar = unit
                    if let high = pendingHighSurrogate, (0xDC00...0xDFFF).contains(unit) {
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                    }
                    pendingHighSurrogate = nil
                    if let character = Unicode.Scalar(scalar) { text += Array(String(character).utf8) }
                default: text.append(code)  // \" \\ \/ and anything else: the character itself
                }
            }
            index += 1
            if escaped { strings.append(text) }
        }
        return strings
    }
}
