/// The pieces of version syntax shared by ``SemanticVersion`` and ``VersionRange``: numbers, prerelease tags and
/// build metadata. Each function throws the ``SemanticVersionParseError/Reason`` for its piece.
enum VersionTextParser {
    /// The longest version npm reads, its `MAX_LENGTH`: 256 characters, counted in UTF-16 code units as JavaScript
    /// counts them.
    static let maximumLength = 256

    /// The most letters, digits and hyphens in a row npm's regular expressions read in an identifier, its
    /// `MAX_SAFE_BUILD_LENGTH` (250).
    static let maximumIdentifierRun = 250

    /// The most digits npm's regular expressions read in a number: its first digit and ``maximumLength`` more.
    static let maximumDigits = maximumLength + 1

    /// A full version after trimming whitespace and one leading `v` or `=`, at most ``maximumLength`` characters
    /// long as npm measures it: the text as given, whitespace included, or, for a version with the one leading `=`
    /// Annals allows (npm's `valid` refuses it), the text after the `=`, as npm would be given it.
    static func version(cleaning text: Substring) throws(SemanticVersionParseError.Reason) -> SemanticVersion {
        var rest = text.trimmingWhitespace()
        let length = rest.first == "=" ? rest.dropFirst().utf16.count : text.utf16.count
        if length > maximumLength { throw .tooLong(length) }
        if rest.first == "v" || rest.first == "=" { rest = rest.dropFirst() }
        guard !rest.isEmpty else { throw .empty }
        let (core, prerelease, build) = splitTags(rest)
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        let components: [SemanticVersionParseError.Component] = [.major, .minor, .patch]
        if numbers.count > 3 { throw .extraComponent(String(numbers[3])) }
        var values: [UInt64] = []
        for (index, component) in components.enumerated() {
            guard index < numbers.count, !numbers[index].isEmpty else { throw .missingComponent(component) }
            values.append(try number(numbers[index], component: component))
        }
        var identifiers: [PrereleaseIdentifier] = []
        if let prerelease { identifiers = try prereleaseIdentifiers(prerelease) }
        var metadata: [String] = []
        if let build { metadata = try buildIdentifiers(build) }
        return SemanticVersion(values[0], values[1], values[2], prerelease: identifiers, buildMetadata: metadata)
    }

    /// Splits `1.2.3-pre+build` into the core, the prerelease text after the first `-` (if any, before `+`) and the
    /// build text after the first `+` (if any).
    static func splitTags(_ text: Substring) -> (core: Substring, prerelease: Substring?, build: Substring?) {
        var main = text
        var build: Substring?
        if let plus = text.firstIndex(of: "+") {
            main = text[..<plus]
            build = text[text.index(after: plus)...]
        }
        guard let dash = main.firstIndex(of: "-") else { return (main, nil, build) }
        return (main[..<dash], main[main.index(after: dash)...], build)
    }

    /// The largest number a version's major, minor or patch may be: 2^53 − 1, npm's `Number.MAX_SAFE_INTEGER`.
    static let largestNumber: UInt64 = (1 << 53) - 1

    /// A number of the version core: digits only, no leading zero, at most ``largestNumber``.
    static func number(
        _ text: Substring, component: SemanticVersionParseError.Component
    ) throws(SemanticVersionParseError.Reason) -> UInt64 {
        try checkDigits(text, component: component)
        guard let value = UInt64(text), value <= largestNumber else { throw .tooLarge(String(text)) }
        return value
    }

    /// Checks that `text` is written as a number of the version core: digits only, no leading zero, at most
    /// ``maximumDigits`` digits but any value (npm checks no more of a number it ignores, such as the `5` of `1.x.5`).
    static func checkDigits(
        _ text: Substring, component: SemanticVersionParseError.Component
    ) throws(SemanticVersionParseError.Reason) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .notANumber(component, String(text))
        }
        if text.count > 1 && text.first == "0" { throw .leadingZero(component) }
        if text.utf8.count > maximumDigits { throw .tooLarge(String(text)) }
    }

    /// The dot-separated prerelease identifiers of `text` (the part after `-`).
    static func prereleaseIdentifiers(
        _ text: Substring
    ) throws(SemanticVersionParseError.Reason) -> [PrereleaseIdentifier] {
        var identifiers: [PrereleaseIdentifier] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            try checkIdentifier(part, section: "prerelease tag")
            if part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                if part.count > 1 && part.first == "0" { throw .leadingZeroInPrerelease(String(part)) }
                if part.utf8.count > maximumDigits {
                    throw .identifierTooLong(String(part), section: "prerelease tag")
                }
                identifiers.append(UInt64(part).map { .numeric($0) } ?? .largeNumeric(String(part)))
            } else {
                // npm reads digits, then a letter or hyphen, then a run of letters, digits and hyphens.
                let digits = part.utf8.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
                if digits > maximumLength || part.utf8.count - digits > maximumIdentifierRun + 1 {
                    throw .identifierTooLong(String(part), section: "prerelease tag")
                }
                identifiers.append(.alphanumeric(String(part)))
            }
        }
        return identifiers
    }

    /// The dot-separated build metadata identifiers of `text` (the part after `+`).
    static func buildIdentifiers(_ text: Substring) throws(SemanticVersionParseError.Reason) -> [String] {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        for part in parts {
            try checkIdentifier(part, section: "build metadata")
            if part.utf8.count > maximumIdentifierRun {
                throw .identifierTooLong(String(part), section: "build metadata")
            }
        }
        return parts.map(String.init)
    }

    /// Checks that `identifier` is non-empty and made of ASCII letters, digits and hyphens.
    static func checkIdentifier(_ identifier: Substring, section: String) throws(SemanticVersionParseError.Reason) {
        guard !identifier.isEmpty else { throw .emptyIdentifier(section: section) }
        for character in identifier where !isIdentifierCharacter(character) {
            throw .invalidCharacter(character, section: section)
        }
    }

    /// Whether `character` may appear in a prerelease or build identifier: `[0-9A-Za-z-]`.
    static func isIdentifierCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (ascii >= 0x30 && ascii <= 0x39) || (ascii >= 0x41 && ascii <= 0x5A) || (ascii >= 0x61 && ascii <= 0x7A)
            || ascii == 0x2D
    }
}

extension Substring {
    /// The text without leading and trailing whitespace, as npm's `trim()` sees it (see
    /// `Character/isVersionWhitespace`).
    func trimmingWhitespace() -> Substring {
        guard let start = firstIndex(where: { !$0.isVersionWhitespace }) else { return self[endIndex...] }
        let end = lastIndex(where: { !$0.isVersionWhitespace })!
        return self[start...end]
    }
}

extension Character {
    /// The code points JavaScript's `\s` and `trim()` take for whitespace, which node-semver splits and trims
    /// ranges and versions on: tab, line feed, vertical tab, form feed, carriage return, space, U+00A0, U+1680,
    /// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 and U+FEFF (the byte order mark). Unicode's own
    /// whitespace differs: it has U+0085 (next line), which npm does not split on, and lacks U+FEFF.
    static let versionWhitespace: Set<UInt32> = Set(
        [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF]
            + Array(0x2000...0x200A))

    /// Whether the character is whitespace to node-semver (a `\r\n` pair is one character, and whitespace too).
    var isVersionWhitespace: Bool {
        unicodeScalars.allSatisfy { Self.versionWhitespace.contains($0.value) }
    }
}
