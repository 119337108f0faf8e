import Foundation

extension UUID {
    /// The UUID in its canonical 36-character form in lowercase, as event ids appear in JSON output, such as
    /// `6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f`: the same text as `uuidString.lowercased()`, written directly from
    /// the 16 bytes (Foundation's `uuidString` goes through `sprintf` on Linux).
    public var lowercasedString: String {
        var out: [UInt8] = []
        out.reserveCapacity(36)
        appendLowercased(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``lowercasedString`` to `out` as UTF-8.
    func appendLowercased(to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid) { bytes in
            digits.withUTF8Buffer { hex in
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0f)])
                }
            }
        }
    }
}
