import Foundation
import Testing

@testable import Annals

/// Canonically equivalent text (composed NFC, decomposed NFD) gives the same terms, embeddings and search hits.
@Suite struct UnicodeSearchTests {
    private let korean = "배터리 교체"
    private let japanese = "ガイドブック"

    private func decomposed(_ text: String) -> String { text.decomposedStringWithCanonicalMapping }

    /// The terms of `text` as UTF-8 bytes: Swift compares strings by canonical equivalence, the index by bytes.
    private func termBytes(_ text: String) -> [[UInt8]] { TextTokenizer.terms(text).map { Array($0.utf8) } }

    @Test func composedAndDecomposedTextGiveTheSameTerms() {
        let letters = ["ガ", "イ", "ド", "ブ", "ッ", "ク"].map { Array($0.utf8) }
        #expect(decomposed(korean).unicodeScalars.count > korean.unicodeScalars.count)
        #expect(termBytes(decomposed(korean)) == termBytes(korean))
        #expect(termBytes(korean) == ["배터리", "교체"].map { Array($0.utf8) })
        #expect(termBytes(decomposed(japanese)) == letters)
        #expect(termBytes(japanese) == letters)
        // Half-width kana with their voicing marks fold to the full-width letters.
        #expect(termBytes("ｶﾞｲﾄﾞﾌﾞｯｸ") == letters)
    }

    @Test func combiningMarksAreNeverTermsOnTheirOwn() {
        let marks: Set<Unicode.Scalar> = ["\u{3099}", "\u{309A}", "\u{301}", "\u{FF9E}", "\u{FF9F}"]
        for text in ["\u{3099}", "\u{309A} \u{301}", "ﾞ ﾟ", "- \u{3099}x", "ア\u{3099}", "ガイド・ブック ゛"] {
            let terms = TextTokenizer.terms(text)
            #expect(terms.allSatisfy { !$0.unicodeScalars.allSatisfy(marks.contains) }, "\(text): \(terms)")
        }
        // A voicing mark that composes with nothing stays with its kana; punctuation and spacing marks separate.
        #expect(termBytes("ア\u{3099}") == [Array("ア\u{3099}".utf8)])
        #expect(termBytes("ガイド・ブック ゛") == ["ガ", "イ", "ド", "ブ", "ッ", "ク"].map { Array($0.utf8) })
        #expect(TextTokenizer.terms("- \u{3099}x") == ["x"])
    }

    /// A variation selector only chooses a glyph: "葛󠄀飾区" (with U+E0100) is "葛飾区" drawn another way, and "一️" is "一".
    @Test func variationSelectorsBelongToNoTerm() async throws {
        #expect(termBytes("葛\u{E0100}飾区") == termBytes("葛飾区"))
        #expect(termBytes("一\u{FE0F}二") == termBytes("一二"))
        #expect(TextTokenizer.terms("\u{FE0F} \u{E0100}").isEmpty)
        try await withStore { store, _ in
            _ = try await store.append(Vocabulary.thing("t"))
            _ = try await store.append(contentsOf: [
                Vocabulary.knowledge("k-ivs", about: "t", text: "葛\u{E0100}飾区の地図"),
                Vocabulary.knowledge("k-plain", about: "t", text: "葛飾区の地図"),
            ])
            for query in ["葛", "葛\u{E0100}"] {
                let hits = try store.search(SearchQuery(query, mode: .lexical))
                #expect(Set(hits.map(\.item.id)) == ["k-ivs", "k-plain"], "\(query.unicodeScalars.map(\.value))")
            }
        }
    }

    @Test func composedAndDecomposedTextGiveTheSameEmbedding() {
        let embedder = FeatureHashingEmbedder()
        #expect(embedder.embed(decomposed(korean)) == embedder.embed(korean))
        #expect(embedder.embed(decomposed(japanese)) == embedder.embed(japanese))
    }

    @Test(arguments: ["배터리", "ガイドブック"])
    func eitherSpellingFindsBothItemsAlike(word: String) async throws {
        try await withStore { store, _ in
            _ = try await store.append(Vocabulary.thing("t"))
            _ = try await store.append(contentsOf: [
                Vocabulary.knowledge("k-nfc", about: "t", text: word + " manual"),
                Vocabulary.knowledge("k-nfd", about: "t", text: decomposed(word) + " manual"),
            ])
            for spelling in [word, decomposed(word)] {
                for mode in [SearchMode.lexical, .vector] {
                    let hits = try store.search(SearchQuery(spelling, mode: mode))
                    #expect(Set(hits.map(\.item.id)) == ["k-nfc", "k-nfd"], "\(mode)")
                    #expect(Set(hits.map(\.score)).count == 1, "\(mode): \(hits.map(\.score))")
                    #expect(Set(hits.map(\.matchedTerms)).count == 1)
                    if mode == .lexical {
                        #expect(hits.first?.matchedTerms.sorted() == TextTokenizer.terms(word).sorted())
                    }
                }
            }
        }
    }
}
