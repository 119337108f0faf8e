/// One comparator as written in a range, before it is rewritten into primitive comparators.
enum RangeClause: Sendable, Hashable {
    /// `OPERATOR PARTIAL`, such as `^1.2`, `>=1.0.0` or `1.x`; `text` is the normalised token.
    case single(operator: String, version: PartialVersion, text: String)
    /// `FROM - TO`; `text` is the normalised `FROM - TO`.
    case hyphen(from: PartialVersion, to: PartialVersion, text: String)

    /// The clause as printed in a range's description.
    var text: String {
        switch self {
        case .single(_, _, let text), .hyphen(_, _, let text): text
        }
    }

    /// The primitive comparators the clause stands for.
    func comparators(includePrerelease: Bool) -> [VersionComparator] {
        switch self {
        case .single(let sign, let version, _):
            RangeDesugaring.comparators(operator: sign, version, includePrerelease: includePrerelease)
        case .hyphen(let lower, let upper, _):
            RangeDesugaring.hyphen(from: lower, to: upper, includePrerelease: includePrerelease)
        }
    }
}

/// Splits a range text into `||` sets of clauses, keeping each token's character offset for errors.
struct VersionRangeParser {
    /// A run of non-whitespace characters and where it starts.
    private struct Token {
        /// The characters.
        var text: String
        /// The offset of the first character in the range text.
        var position: Int
    }

    /// The operators a clause may start with, longest first.
    private static let operators = ["<=", ">=", "~>", "<", ">", "=", "~", "^"]

    /// The range text as given.
    let text: String

    /// The `||` sets of the range, each a list of clauses (an empty list means any version).
    func parse() throws(VersionRangeParseError) -> [[RangeClause]] {
        let trimmed = Substring(text).trimmingWhitespace()
        if trimmed.hasPrefix("workspace:") {
            throw VersionRangeParseError(
                range: text, token: String(trimmed), position: 0, reason: .workspaceProtocol(String(trimmed)))
        }
        do {
            return try sets().map { set throws(VersionRangeParseError) in try clauses(of: set) }
        } catch {
            // `vv1.2.3` looks like a name too, but is a version with one `v` too many.
            if case .extraPrefix = error.reason {
                throw error
            }
            if Self.isIdentifier(trimmed) {
                throw VersionRangeParseError(
                    range: text, token: String(trimmed), position: 0, reason: .distTag(String(trimmed)))
            }
            throw error
        }
    }

    /// Whether `text` is a plain name such as `latest` or `next-1.x`: a letter, then letters, digits, `.`, `-`, `_`.
    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }

    /// The whitespace-separated tokens of each `||` set.
    private func sets() -> [[Token]] {
        var sets: [[Token]] = [[]]
        var current: Token?
        let characters = Array(text)
        var index = 0
        func finishToken() {
            if let token = current { sets[sets.count - 1].append(token) }
            current = nil
        }
        while index < characters.count {
            let character = characters[index]
            if character == "|" && index + 1 < characters.count && characters[index + 1] == "|" {
                finishToken()
                sets.append([])
                index += 2
                continue
            }
            if character.isVersionWhitespace {
                finishToken()
            } else if current == nil {
                current = Token(text: String(character), position: index)
            } else {
                current!.text.append(character)
            }
            index += 1
        }
        finishToken()
        return sets
    }

    /// The clauses of one set: operators standing alone are joined to the next token; `A - B` is a hyphen range.
    private func clauses(of tokens: [Token]) throws(VersionRangeParseError) -> [RangeClause] {
        // As npm trims them: comparison operators first, then tilde and caret, so `~ > 1.2.3` is `~>1.2.3`; a lone
        // `~>` is npm's `~`, so `~> >=1.2.3` is `~>=1.2.3`, which is `~1.2.3`.
        let comparing = try joinLoneOperators(in: tokens, ["<", "<=", ">", ">=", "="])
        let joined = try joinLoneOperators(in: comparing, ["~", "~>", "^"])
        if let hyphen = joined.firstIndex(where: { $0.text == "-" }) {
            // The sides of a hyphen range take a run of `v` and `=` before them (npm's `[v=\s]*`), no other operator.
            let sidesHaveOperators = joined.contains { token in
                Self.operators.contains { $0 != "=" && token.text.hasPrefix($0) }
            }
            guard joined.count == 3, hyphen == 1, !sidesHaveOperators else {
                let token = joined[hyphen]
                throw VersionRangeParseError(
                    range: text, token: token.text, position: token.position, reason: .misplacedHyphen)
            }
            let lower = try partialVersion(joined[0], place: .hyphenLower)
            let upper = try partialVersion(joined[2], place: .hyphenUpper)
            let clause = RangeClause.hyphen(
                from: lower.version, to: upper.version, text: lower.text + " - " + upper.text)
            try checkBounds(of: clause, token: joined[2])
            return [clause]
        }
        return try joined.map { token throws(VersionRangeParseError) in
            let sign = Self.operators.first { token.text.hasPrefix($0) } ?? ""
            let parsed = try partialVersion(token, place: .comparator(sign))
            let clause = RangeClause.single(operator: sign, version: parsed.version, text: sign + parsed.text)
            try checkBounds(of: clause, token: token)
            return clause
        }
    }

    /// Refuses a clause that npm rewrites into a bound past ``VersionTextParser/largestNumber`` (`~1.9007199254740991`
    /// into `<1.9007199254740992.0-0`), as npm does (the bound is no version to it).
    private func checkBounds(of clause: RangeClause, token: Token) throws(VersionRangeParseError) {
        let largest = VersionTextParser.largestNumber
        for comparator in clause.comparators(includePrerelease: false) {
            let bound = comparator.version
            if bound.major > largest || bound.minor > largest || bound.patch > largest {
                let text = comparator.operation.rawValue + bound.description
                throw VersionRangeParseError(
                    range: self.text, token: token.text, position: token.position, reason: .boundTooLarge(text))
            }
        }
    }

    /// `tokens` with each token that is one of `operators` joined to the token after it.
    /// - Throws: ``VersionRangeParseError/Reason/missingVersion`` for an operator at the end.
    private func joinLoneOperators(
        in tokens: [Token], _ operators: [String]
    ) throws(VersionRangeParseError) -> [Token] {
        var joined: [Token] = []
        var index = 0
        while index < tokens.count {
            var token = tokens[index]
            if operators.contains(token.text) {
                guard index + 1 < tokens.count else {
                    throw VersionRangeParseError(
                        range: text, token: token.text, position: token.position, reason: .missingVersion)
                }
                let next = tokens[index + 1].text
                token.text = (token.text == "~>" && next.hasPrefix(">") ? "~" : token.text) + next
                index += 1
            }
            joined.append(token)
            index += 1
        }
        return joined
    }

    /// Where a partial version stands in a range, which decides how many `v` and `=` may come before it.
    private enum Place {
        /// After an operator (`""` for a bare version).
        case comparator(String)
        /// The `FROM` of `FROM - TO`.
        case hyphenLower
        /// The `TO` of `FROM - TO`.
        case hyphenUpper

        /// The operator the partial version follows in its token.
        var sign: String {
            if case .comparator(let sign) = self { sign } else { "" }
        }

        /// Whether npm keeps the version as written (`v` prefix and all) rather than rewriting it from its numbers,
        /// and so takes at most one `v` before it: a full version compared as it is (bare, or after `=`, `<`, `<=`,
        /// `>`, `>=`), a full `FROM`, and a full `TO` without a prerelease tag (`<=TO`; npm rewrites `TO-PRE` from its
        /// numbers). Tilde, caret and partial versions are rewritten, and take any run of `v` and `=`.
        func keepsText(of version: PartialVersion, wildcard: Bool, parts: Int) -> Bool {
            guard parts == 3, !wildcard else { return false }
            switch self {
            case .comparator(let sign): return !["~", "~>", "^"].contains(sign)
            case .hyphenLower: return true
            case .hyphenUpper: return version.prerelease.isEmpty
            }
        }
    }

    /// The partial version at `place` in `token`, and its text for the description (without a leading `v` or `=`).
    private func partialVersion(
        _ token: Token, place: Place
    ) throws(VersionRangeParseError) -> (version: PartialVersion, text: String) {
        let sign = place.sign
        var rest = Substring(token.text).dropFirst(sign.count)
        let prefix = rest.prefix { $0 == "v" || $0 == "=" }
        rest = rest.dropFirst(prefix.count)
        func failure(_ reason: VersionRangeParseError.Reason) -> VersionRangeParseError {
            VersionRangeParseError(range: text, token: token.text, position: token.position, reason: reason)
        }
        guard !rest.isEmpty else { throw failure(.missingVersion) }
        let (core, prerelease, build) = VersionTextParser.splitTags(rest)
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        let components: [SemanticVersionParseError.Component] = [.major, .minor, .patch]
        guard parts.count <= 3 else { throw failure(.invalidVersion(.extraComponent(String(parts[3])))) }
        // Tags follow the third part only (npm's `partial ::= xr ( '.' xr ( '.' xr qualifier? )? )?`).
        if prerelease != nil && parts.count < 3 { throw failure(.prereleaseOnPartialVersion) }
        if build != nil && parts.count < 3 { throw failure(.buildOnPartialVersion) }
        var numbers: [UInt64?] = [nil, nil, nil]
        var wildcard = false
        do {
            for (index, part) in parts.enumerated() {
                if part == "*" || part == "x" || part == "X" {
                    wildcard = true
                } else if part.isEmpty {
                    throw SemanticVersionParseError.Reason.missingComponent(components[index])
                } else if !wildcard {
                    numbers[index] = try VersionTextParser.number(part, component: components[index])
                } else {
                    // A number after a wildcard is ignored, so only its form is checked, not its size.
                    try VersionTextParser.checkDigits(part, component: components[index])
                }
            }
            var identifiers: [PrereleaseIdentifier] = []
            if let prerelease {
                identifiers = try VersionTextParser.prereleaseIdentifiers(prerelease)
                // After a wildcard the tag is checked and ignored: `1.2.x-beta` is `1.2.x`.
                if wildcard { identifiers = [] }
            }
            if let build { _ = try VersionTextParser.buildIdentifiers(build) }
            let version = PartialVersion(
                major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: identifiers)
            // A version npm keeps as written takes one optional `v` (npm's comparator grammar).
            let keepsText = place.keepsText(of: version, wildcard: wildcard, parts: parts.count)
            if keepsText && prefix.count > (prefix == "v" ? 1 : 0) {
                throw failure(.extraPrefix(sign + prefix))
            }
            // npm reads each version it compares with up to 256 characters: one kept as written with its `v` and
            // build metadata, one rewritten (after `~` or `^`, a `TO` with a prerelease tag) as its numbers and tag.
            if parts.count == 3 && !wildcard {
                let length =
                    keepsText
                    ? prefix.utf16.count + rest.utf16.count : rest.utf16.count - (build.map { $0.utf16.count + 1 } ?? 0)
                if length > VersionTextParser.maximumLength { throw failure(.invalidVersion(.tooLong(length))) }
            }
            return (version, String(rest))
        } catch let error as VersionRangeParseError {
            throw error
        } catch let reason as SemanticVersionParseError.Reason {
            throw failure(.invalidVersion(reason))
        } catch {
            throw failure(.missingVersion)
        }
    }
}
