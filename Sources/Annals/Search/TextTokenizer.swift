import Foundation

/// Splits text into search terms, shared by full-text (BM25) indexing and the ``FeatureHashingEmbedder``.
///
/// The text is first put in Unicode normalization form C, so that canonically equivalent spellings (a composed
/// "배터리" or "ガ" and its decomposed jamo or kana with a combining voicing mark) give the same terms. A term is
/// then a maximal run of letters, combining marks and decimal digits (Unicode aware); everything else separates
/// terms. Terms are lowercased (Unicode case folding), stripped of diacritics ("Café" becomes "cafe") and of width
/// variants ("Ｆｕｌｌ" becomes "full"). Each CJK ideograph and each kana letter is a term of its own, because those
/// scripts do not separate words with spaces; the combining marks that follow one (a voicing mark the normalization
/// could not compose, a half-width "ﾞ") belong to its term. A combining mark is never a term on its own: one that
/// follows no letter, digit, ideograph or kana is dropped. Variation selectors (which only choose a glyph, as in an
/// ideograph of a Japanese name) separate terms and belong to none. A small list of English stopwords is dropped, and so is
/// any term longer than ``maximumTermLength`` UTF-8 bytes (hashes, base64 and similar noise).
///
/// ASCII text takes a fast path that never creates intermediate strings, and text whose characters all lie below
/// U+0300 (which is always in normalization form C) skips the normalization; only terms with non-ASCII characters
/// go through Foundation's folding.
public enum TextTokenizer {
    /// The longest term kept, in UTF-8 bytes after folding; longer runs are dropped.
    public static let maximumTermLength = 64

    /// The English stopwords that are dropped: very frequent words that carry no meaning for search.
    public static let stopwords: Set<String> = [
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are", "be", "by", "at", "as",
        "it", "this", "that", "from",
    ]

    /// The search terms of `text`, in order of appearance, duplicates kept.
    ///
    /// ```swift
    /// TextTokenizer.terms("The Café is open, 24/7!")  // ["cafe", "open", "24", "7"]
    /// ```
    /// - Parameter text: Any text.
    /// - Returns: The folded, lowercased terms, without stopwords and without terms longer than
    ///   ``maximumTermLength`` bytes.
    public static func terms(_ text: String) -> [String] {
        var result: [String] = []
        forEachTerm(in: text) { result.append(String(decoding: $0, as: UTF8.self)) }
        return result
    }

    /// Calls `body` with the UTF-8 bytes of each term of `text`, in order; the buffer is only valid during the call.
    static func forEachTerm(in text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var text = canonicalComposition(text)
        text.withUTF8 { utf8 in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumTermLength) { scratch in
                scan(utf8, scratch: scratch, body)
            }
        }
    }

    /// `text` in Unicode normalization form C; returned as it is when every scalar lies below U+0300 (no UTF-8
    /// byte of 0xCC or more), which no normalization changes.
    static func canonicalComposition(_ text: String) -> String {
        var text = text
        let composed = text.withUTF8 { utf8 in !utf8.contains { $0 >= 0xCC } }
        return composed ? text : text.precomposedStringWithCanonicalMapping
    }

    /// Walks valid UTF-8, finding the runs of word characters and handing each to ``emit(_:ascii:scratch:_:)``.
    private static func scan(
        _ utf8: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var start = -1  // where the current run began, or -1 between runs
        var ascii = true
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte < 0x80 {
                if isASCIIWordByte(byte) {
                    if start < 0 { (start, ascii) = (i, true) }
                } else if start >= 0 {
                    emit(UnsafeBufferPointer(rebasing: utf8[start..<i]), ascii: ascii, scratch: scratch, body)
                    start = -1
                }
                i += 1
                continue
            }
            let (value, length) = scalarValue(utf8, at: i)
            let end = min(i + length, utf8.count)
            switch classify(value) {
            case .word:
                if start < 0 { start = i }
                ascii = false
            case .mark:
                // Part of the run it follows; alone, not a term.
                if start >= 0 { ascii = false }
            case .standalone:
                if start >= 0 {
                    emit(UnsafeBufferPointer(rebasing: utf8[start..<i]), ascii: ascii, scratch: scratch, body)
                    start = -1
                }
                // The marks that follow an ideograph or kana are part of its term.
                var markEnd = end
                while markEnd < utf8.count, utf8[markEnd] >= 0x80 {
                    let (next, nextLength) = scalarValue(utf8, at: markEnd)
                    guard classify(next) == .mark else { break }
                    markEnd = min(markEnd + nextLength, utf8.count)
                }
                emit(UnsafeBufferPointer(rebasing: utf8[i..<markEnd]), ascii: false, scratch: scratch, body)
                i = markEnd
                continue
            case .separator:
                if start >= 0 {
                    emit(UnsafeBufferPointer(rebasing: utf8[start..<i]), ascii: ascii, scratch: scratch, body)
                    start = -1
                }
            }
            i = end
        }
        if start >= 0 {
            emit(UnsafeBufferPointer(rebasing: utf8[start...]), ascii: ascii, scratch: scratch, body)
        }
    }

    /// Folds one run of word characters and hands it to `body` unless it is a stopword or too long.
    private static func emit(
        _ run: UnsafeBufferPointer<UInt8>, ascii: Bool, scratch: UnsafeMutableBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        if ascii {
            guard run.count <= maximumTermLength else { return }
            for (index, byte) in run.enumerated() {
                scratch[index] = byte &- 0x41 < 26 ? byte | 0x20 : byte
            }
            let term = UnsafeBufferPointer(rebasing: scratch[..<run.count])
            if !isStopword(term) { body(term) }
            return
        }
        var folded = foldedTerm(run)
        folded.withUTF8 { term in
            if !term.isEmpty && term.count <= maximumTermLength && !isStopword(term) { body(term) }
        }
    }

    /// A non-ASCII run lowercased, without diacritics and width variants. Half-width voicing marks become the
    /// combining ones, and the result is composed again, so that "ｶﾞ" folds to "ガ" like "ガ" does.
    private static func foldedTerm(_ run: UnsafeBufferPointer<UInt8>) -> String {
        var text = String(decoding: run, as: UTF8.self)
        // U+FF9E and U+FF9F are EF BE 9E and EF BE 9F in UTF-8.
        let halfWidthMarks = run.indices.dropFirst(2).contains {
            run[$0 - 2] == 0xEF && run[$0 - 1] == 0xBE && (run[$0] == 0x9E || run[$0] == 0x9F)
        }
        if halfWidthMarks {
            text = String(
                String.UnicodeScalarView(
                    text.unicodeScalars.map { (scalar: Unicode.Scalar) -> Unicode.Scalar in
                        switch scalar.value {
                        case 0xFF9E: "\u{3099}"
                        case 0xFF9F: "\u{309A}"
                        default: scalar
                        }
                    }))
        }
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        return halfWidthMarks ? folded.precomposedStringWithCanonicalMapping : folded
    }

    /// Whether an ASCII byte is a letter or a digit.
    @inline(__always)
    private static func isASCIIWordByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10
    }

    /// How the tokenizer treats a non-ASCII scalar.
    private enum ScalarClass {
        /// Part of a word: a letter or a decimal digit.
        case word
        /// A combining mark (and the half-width kana voicing marks U+FF9E, U+FF9F): part of the term it follows,
        /// never a term on its own.
        case mark
        /// A term on its own: a CJK ideograph or a kana letter.
        case standalone
        /// Anything else: punctuation, symbols, spaces, controls.
        case separator
    }

    /// How the tokenizer treats the non-ASCII scalar `value`. In the kana blocks only letters stand alone: the
    /// combining voicing marks U+3099 and U+309A are marks, and the spacing ones (U+309B, U+309C) and punctuation
    /// such as "・" separate.
    private static func classify(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return .separator }
        if value == 0xFF9E || value == 0xFF9F { return .mark }
        // Variation selectors only choose a glyph ("葛󠄀" is "葛" drawn another way): they separate, and are never part
        // of a term, so the plain and the selected spelling give the same terms.
        if isVariationSelector(value) { return .separator }
        let properties = scalar.properties
        if properties.isIdeographic { return .standalone }
        let kana = (0x3040...0x30FF).contains(value) || (0xFF66...0xFF9D).contains(value)
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return kana ? .standalone : .word
        case .decimalNumber:
            return .word
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        default:
            return .separator
        }
    }

    /// Whether `value` is a variation selector: U+FE00–U+FE0F, the ideographic ones U+E0100–U+E01EF, or the
    /// Mongolian free variation selectors U+180B–U+180D and U+180F.
    private static func isVariationSelector(_ value: UInt32) -> Bool {
        (0xFE00...0xFE0F).contains(value) || (0xE0100...0xE01EF).contains(value) || (0x180B...0x180D).contains(value)
            || value == 0x180F
    }

    /// The scalar starting at `index` in valid UTF-8 and its length in bytes (a truncated sequence yields a
    /// value that is not a scalar, which callers treat as a separator).
    @inline(__always)
    static func scalarValue(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(utf8[index])
        let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + length <= utf8.count else { return (0xFFFF_FFFF, utf8.count - index) }
        var value = length == 1 ? lead : lead & (0x7F >> UInt32(length))
        for offset in 1..<length {
            value = value << 6 | UInt32(utf8[index + offset] & 0x3F)
        }
        return (value, length)
    }

    /// The stopwords packed as little-endian integers, compared without creating strings.
    private static let packedStopwords: [UInt32] = stopwords.map { word in
        word.utf8.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Whether a folded term is one of the ``stopwords``.
    @inline(__always)
    static func isStopword(_ term: UnsafeBufferPointer<UInt8>) -> Bool {
        guard term.count <= 4 else { return false }
        var packed: UInt32 = 0
        for byte in term.reversed() { packed = packed << 8 | UInt32(byte) }
        return packedStopwords.contains(packed)
    }
}

// MARK: - Stemming

extension TextTokenizer {
    /// A light English stem of `term`, so that inflected forms share a key: "trading", "trades", "traded" and
    /// "trade" all become "trad"; "companies" becomes "company"; "stopped" becomes "stop".
    ///
    /// The rules, applied to terms of four or more ASCII letters and only when at least three letters remain:
    /// 1. one suffix is removed: "ies"/"ied" become "y"; "ing" and "ed" when a vowel remains ("string" stays);
    ///    "ed" after "e" stays ("speed"); a final "d" after "e" when "ed" would leave too little ("used" → "use");
    ///    "es"; "s" except after "s", "u" or "i" ("class", "status", "analysis" stay);
    /// 2. after "ing"/"ed", a doubled final consonant other than l, s, z is halved ("running" → "run");
    /// 3. a final "e" is removed ("trade" → "trad"), so the forms with and without a suffix agree.
    ///
    /// Other terms (non-ASCII, digits, short words) are returned unchanged. BM25 indexes and queries by stem.
    /// - Parameter term: A term from ``terms(_:)`` (lowercase).
    /// - Returns: The stem.
    public static func stem(_ term: String) -> String {
        var term = term
        return term.withUTF8 { bytes in stem(utf8: bytes) }
    }

    /// The stem of the term whose UTF-8 is `term`, as ``stem(_:)`` gives it, made from the bytes directly.
    static func stem(utf8 term: UnsafeBufferPointer<UInt8>) -> String {
        let (length, appendY) = stemmedLength(term)
        let prefix = String(decoding: UnsafeBufferPointer(rebasing: term[..<length]), as: UTF8.self)
        return appendY ? prefix + "y" : prefix
    }

    /// The stem of a term as a prefix length of its UTF-8 bytes and whether a "y" follows that prefix.
    static func stemmedLength(_ word: UnsafeBufferPointer<UInt8>) -> (length: Int, appendY: Bool) {
        var n = word.count
        guard n >= 4, word.allSatisfy({ $0 &- 0x61 < 26 }) else { return (n, false) }
        // The helpers read the length they are given, not `n`: a local function that captures a variable costs a
        // dynamic exclusivity check on every call, and this runs for every word indexed.
        func endsWith(_ suffix: StaticString, length n: Int) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard n >= count else { return false }
            let start = suffix.utf8Start
            for index in 0..<count where word[n - count + index] != start[index] { return false }
            return true
        }
        func hasVowel(before end: Int) -> Bool {
            word[..<end].contains { "aeiouy".utf8.contains($0) }
        }
        let full = n
        var verbal = false
        if (endsWith("ies", length: full) || endsWith("ied", length: full)) && n >= 5 {
            return (n - 3, true)
        } else if endsWith("ing", length: full) {
            if n - 3 >= 3 && hasVowel(before: n - 3) { (n, verbal) = (n - 3, true) }
        } else if endsWith("ed", length: full) {
            if word[n - 3] == UInt8(ascii: "e") {
                // "speed", "agreed": the "ed" is part of the word.
            } else if n - 2 >= 3 && hasVowel(before: n - 2) {
                (n, verbal) = (n - 2, true)
            } else if n - 2 < 3 {
                n -= 1
            }
        } else if endsWith("es", length: full) && n - 2 >= 3 {
            n -= 2
        } else if endsWith("s", length: full) && !"sui".utf8.contains(word[n - 2]) {
            n -= 1
        }
        if verbal && n >= 4 && word[n - 1] == word[n - 2] && !"aeiouylsz".utf8.contains(word[n - 1]) {
            n -= 1
        }
        if n >= 4 && word[n - 1] == UInt8(ascii: "e") {
            n -= 1
        }
        return (n, false)
    }
}
