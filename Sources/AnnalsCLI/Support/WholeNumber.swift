import ArgumentParser

/// A whole number given on the command line: one or more of the ASCII digits 0-9 and nothing else, within `Value`'s
/// range. Every integer option and argument of the CLI is read as one.
///
/// ArgumentParser reads `Int` and `UInt64` values with Swift's `Int(_:)`, which also takes a sign: `--limit +3` was
/// read as 3, and `--at +5` as offset 5. A number here has no sign, no spaces and no separators, so `+3`, `-3`,
/// ` 3`, `3_000` and `0x10` exit 64 with the flag and the value named
/// (`The value '+3' is invalid for '--limit <limit>'`); the option's own check then says which numbers it takes.
/// The options whose value is a number or a word (`state --at`, `tail --from`, `cursors reset --to`,
/// `plugin rollback --to`, `--since`, `--until`) read their numbers with ``parse(_:)``.
struct WholeNumber<Value: FixedWidthInteger & Sendable>: ExpressibleByArgument, ExpressibleByIntegerLiteral, Sendable,
    Equatable
{
    /// The number.
    var value: Value

    /// A number given in code, such as an option's default.
    init(_ value: Value) { self.value = value }

    /// An option's default written as a literal (`var limit: WholeNumber<Int> = 1000`).
    init(integerLiteral literal: Value.IntegerLiteralType) { value = Value(integerLiteral: literal) }

    /// Reads `argument`, or fails (ArgumentParser then exits 64 naming the option and the value).
    init?(argument: String) {
        guard let value = Self.parse(argument) else { return nil }
        self.value = value
    }

    /// The default as help prints it: `(default: 1000)`.
    var defaultValueDescription: String { String(value) }

    /// `text` as a number when it is one or more ASCII digits within `Value`'s range; `nil` otherwise (a sign,
    /// whitespace, any other character, the empty text, a number too large).
    static func parse(_ text: String) -> Value? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Value(text, radix: 10)
    }
}
