/// A light English suffix stripper, applied to plugin texts when they are indexed and to queries when they are
/// searched, so that "trade", "trading" and "traders" meet at `trad`, and "memory" and "memories" at `memori`.
///
/// It is deliberately small (a subset of Porter's steps): what matters is that the same word forms meet, and
/// that the rules are the same on both sides. Terms of three letters or fewer, and terms with digits, are kept.
enum TermStemmer {
    /// Derivational and inflectional endings removed, longest first, when at least three letters remain.
    private static let endings = ["ations", "ation", "ments", "ment", "ings", "ing", "ers", "er", "ed", "ly"]

    /// The stem of a lowercase term.
    static func stem(_ term: String) -> String {
        guard term.count > 3, term.allSatisfy({ $0.isLetter && $0.isASCII }) else { return term }
        var word = term
        if word.hasSuffix("ies"), word.count > 4 {
            word.removeLast(3)
            word += "i"
        } else if word.hasSuffix("sses") {
            word.removeLast(2)
        } else if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") {
            word.removeLast()
        }
        for ending in endings where word.hasSuffix(ending) && word.count - ending.count >= 3 {
            word.removeLast(ending.count)
            if let last = word.last, word.count >= 4, word.dropLast().last == last, !"lsz".contains(last),
                !"aeiou".contains(last)
            {
                word.removeLast()
            }
            break
        }
        if word.hasSuffix("e"), word.count > 3 { word.removeLast() }
        if word.hasSuffix("y"), word.count > 3 {
            word.removeLast()
            word += "i"
        }
        return word
    }
}
