/// How many terminal columns text takes: two for East Asian wide and fullwidth characters and for emoji shown as
/// emoji, one for the others (a character's combining marks and joined scalars take no column of their own), so that
/// table columns stay aligned with such text in them.
enum DisplayWidth {
    /// The ranges of scalars East Asian Width gives as wide (W) or fullwidth (F), in their main blocks: Hangul Jamo,
    /// CJK radicals and symbols through Yi, Hangul syllables, CJK compatibility ideographs, vertical and compatibility
    /// forms, fullwidth forms, and the supplementary ideographic planes.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    /// The columns `character` takes: 2 or 1, judged by its first scalar.
    static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first, scalar.value >= 0x1100 else { return 1 }
        if scalar.properties.isEmojiPresentation { return 2 }
        return wideRanges.contains { $0.contains(scalar.value) } ? 2 : 1
    }

    /// The columns `text` takes.
    static func of(_ text: String) -> Int {
        // ASCII, the usual case, is a column per byte.
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return text.utf8.count }
        return text.reduce(0) { $0 + of($1) }
    }

    /// The longest start of `text` that takes at most `columns` columns, and the columns it takes.
    static func prefix(of text: String, fitting columns: Int) -> (text: Substring, columns: Int) {
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let width = of(text[index])
            if used + width > columns { break }
            used += width
            end = text.index(after: index)
        }
        return (text[..<end], used)
    }

    /// `text` padded with spaces to `columns` columns (as it is when it takes that many or more).
    static func padded(_ text: String, to columns: Int) -> String {
        text + String(repeating: " ", count: max(0, columns - of(text)))
    }
}
