import Foundation
import Testing

@testable import Annals

@Suite struct SearchPrimitivesTests {
    // MARK: Tokenizer and stemmer

    @Test func tokenizerSplitsLowercasesAndDropsStopwords() {
        let terms = TextTokenizer.terms("The Quick-Brown fox, AND the dog_42 is at home!")
        #expect(terms == ["quick", "brown", "fox", "dog", "42", "home"])
        #expect(TextTokenizer.terms("") == [])
        #expect(TextTokenizer.terms("the a an and or of to in on for with is are be by at as it this that from") == [])
        #expect(TextTokenizer.terms("THE This tHaT") == [])
        #expect(TextTokenizer.terms("theory anything island") == ["theory", "anything", "island"])
    }

    @Test func tokenizerFoldsDiacriticsAndHandlesUnicode() {
        #expect(TextTokenizer.terms("Café CAFÉ naïve Ångström") == ["cafe", "cafe", "naive", "angstrom"])
        // Decomposed (NFD) and composed (NFC) forms give the same term.
        #expect(TextTokenizer.terms("cafe\u{301}") == ["cafe"])
        #expect(TextTokenizer.terms("Привет, мир! Ελλάδα") == ["привет", "мир", "ελλαδα"])
        #expect(TextTokenizer.terms("Straße Ｆｕｌｌ") == ["strasse", "full"])
        // Ideographs and kana are terms on their own; emoji and symbols separate.
        #expect(TextTokenizer.terms("東京タワー") == ["東", "京", "タ", "ワ", "ー"])
        #expect(TextTokenizer.terms("rocket🚀launch™ 3½") == ["rocket", "launch", "3"])
        // A folded stopword is still a stopword.
        #expect(TextTokenizer.terms("Thé Ïs") == [])
    }

    @Test func tokenizerDropsLongTokens() {
        let kept = String(repeating: "a", count: 64)
        let dropped = String(repeating: "b", count: 65)
        #expect(TextTokenizer.terms("\(kept) \(dropped) ok") == [kept, "ok"])
        // The limit is in UTF-8 bytes after folding: 40 × "é" (80 bytes) folds to 40, 33 × "ж" stays 66.
        let accented = String(repeating: "é", count: 40)
        let cyrillic = String(repeating: "ж", count: 33)
        #expect(TextTokenizer.terms("\(accented) \(cyrillic)") == [String(repeating: "e", count: 40)])
    }

    @Test func stemmerConflatesInflections() {
        let cases: [(String, String)] = [
            ("trading", "trad"), ("trade", "trad"), ("traded", "trad"), ("trades", "trad"),
            ("companies", "company"), ("company", "company"), ("stopped", "stop"), ("running", "run"),
            ("falling", "fall"), ("passed", "pass"), ("used", "use"), ("uses", "use"), ("use", "use"),
            ("string", "string"), ("strings", "string"), ("class", "class"), ("classes", "class"),
            ("status", "status"), ("analysis", "analysis"), ("speed", "speed"), ("boxes", "box"),
            ("memories", "memory"), ("cats", "cat"), ("cat", "cat"), ("bus", "bus"), ("tie", "tie"),
            ("ties", "tie"), ("added", "add"), ("exchange", "exchang"), ("exchanging", "exchang"),
            ("naïve", "naïve"), ("1990s", "1990s"), ("", ""),
        ]
        for (word, stem) in cases {
            #expect(TextTokenizer.stem(word) == stem, "stem of \(word)")
        }
    }

    // MARK: Embedder

    @Test func embedderIsDeterministicAndNormalized() {
        let embedder = FeatureHashingEmbedder()
        #expect(embedder.identifier == "feature-hashing-v1-384")
        #expect(embedder.dimensions == 384)
        let text = "Annals is an embedded event store; it stores events durably."
        let first = embedder.embed(text)
        #expect(first.count == 384)
        #expect(first == FeatureHashingEmbedder().embed(text))
        #expect(abs(dotProduct(first, first) - 1) < 1e-5)
        #expect(embedder.embed("") == [Float](repeating: 0, count: 384))
        #expect(embedder.embed("the and of !!!") == [Float](repeating: 0, count: 384))
        #expect(FeatureHashingEmbedder(dimensions: 7).identifier == "feature-hashing-v1-7")
    }

    @Test func embedderVectorIsStableAcrossVersions() {
        // Changing these values changes stored vectors: bump the identifier ("-v2-") when they must change.
        let expected: [Float] = [
            -0.324443, 0.162221, -0.324443, -0.162221, -0.162221, -0.162221, 0, 0.162221,
            0, 0.162221, -0.324443, -0.486664, -0.162221, 0, -0.486664, -0.162221,
        ]
        let vector = FeatureHashingEmbedder(dimensions: 16).embed("Annals stores events")
        #expect(vector.count == expected.count)
        for (actual, wanted) in zip(vector, expected) {
            #expect(abs(actual - wanted) < 1e-5)
        }
    }

    @Test func embedderRanksRelatedTextHigher() {
        let embedder = FeatureHashingEmbedder()
        let query = embedder.embed("trade crypto on an exchange")
        let related = VectorMath.cosine(query, embedder.embed("crypto exchange trading"))
        let unrelated = VectorMath.cosine(query, embedder.embed("store memory in postgres"))
        #expect(related > 0.5)
        #expect(related > unrelated + 0.3)
        // Stems and trigrams link inflected forms.
        let stemmed = VectorMath.cosine(embedder.embed("trading"), embedder.embed("trade"))
        #expect(stemmed > VectorMath.cosine(embedder.embed("trading"), embedder.embed("memory")))
    }

    @Test func portableLogarithmMatchesLibm() {
        for x in [1.0, 2, 3, 7, 10, 100, 1023, 1024, 65_537, 1e9] {
            #expect(abs(FeatureHashingEmbedder.naturalLog(x) - log(x)) < 1e-12 * max(1, log(x)))
        }
    }

    // MARK: Vector math

    @Test func normalizationAndCosine() {
        let unit = VectorMath.normalized([3, 4])
        #expect(unit == [0.6, 0.8])
        #expect(VectorMath.normalized([0, 0, 0]) == [0, 0, 0])
        #expect(VectorMath.normalized([1, .nan]) == [0, 0])
        #expect(VectorMath.normalized([.infinity, 1]) == [0, 0])
        #expect(VectorMath.normalized([]) == [])
        #expect(abs(VectorMath.cosine([1, 2, 3], [2, 4, 6]) - 1) < 1e-6)
        #expect(VectorMath.cosine([1, 0], [0, 5]) == 0)
        #expect(abs(VectorMath.cosine([1, 0], [-2, 0]) + 1) < 1e-6)
        #expect(VectorMath.cosine([0, 0], [1, 1]) == 0)
    }

    @Test func dotMatchesScalarReference() {
        var random = SeededGenerator(state: 7)
        for count in [0, 1, 3, 15, 16, 17, 31, 32, 33, 47, 48, 63, 100, 384, 385, 1000] {
            let a = (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
            let b = (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
            var reference = 0.0
            for index in 0..<count { reference += Double(a[index]) * Double(b[index]) }
            let simd = a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in VectorMath.dot(a, b) } }
            #expect(abs(Double(simd) - reference) < 1e-4 * max(1, Double(count).squareRoot()), "count \(count)")
        }
    }

    @Test func float32RoundTripIsExact() throws {
        let vector: [Float] = [0, -0.0, 1, -1.5, .pi, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.infinity]
        let bytes = VectorMath.encode(vector, as: .float32)
        #expect(bytes.count == 32)
        #expect(Array(bytes[8..<12]) == [0x00, 0x00, 0x80, 0x3F])  // 1.0, little-endian
        let decoded = try bytes.withUnsafeBytes { try VectorMath.decode($0, encoding: .float32, dimensions: 8) }
        #expect(decoded.map(\.bitPattern) == vector.map(\.bitPattern))
    }

    @Test func float16RoundTripIsClose() throws {
        var random = SeededGenerator(state: 16)
        let vector = VectorMath.normalized((0..<384).map { _ in Float.random(in: -1...1, using: &random) })
        let bytes = VectorMath.encode(vector, as: .float16)
        #expect(bytes.count == 768)
        let decoded = try bytes.withUnsafeBytes { try VectorMath.decode($0, encoding: .float16, dimensions: 384) }
        for (original, restored) in zip(vector, decoded) {
            #expect(abs(original - restored) <= abs(original) / 1024 + 1e-7)
        }
        #expect(VectorMath.cosine(vector, decoded) > 0.9999)
        let exact: [Float] = [0, 1, -2, 0.5, 65504, -0.000_061_035_156_25]
        let restored = try VectorMath.encode(exact, as: .float16).withUnsafeBytes {
            try VectorMath.decode($0, encoding: .float16, dimensions: exact.count)
        }
        #expect(restored == exact)
        #expect(VectorMath.encode([1], as: .float16) == [0x00, 0x3C])
    }

    @Test func halfPrecisionConversionsMatchFloat16() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = VectorMath.float(halfBits: bits)
            #expect(actual.bitPattern == expected.bitPattern || (actual.isNaN && expected.isNaN), "bits \(bits)")
        }
        var random = SeededGenerator(state: 99)
        var samples: [Float] = [0, -0, .infinity, -.infinity, .nan, 65504, 65519.99, 65520, 1e-8, 2.98e-8, 1e-5]
        for _ in 0..<20_000 {
            let magnitude = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4800_0000, using: &random))
            samples.append(Bool.random(using: &random) ? magnitude : -magnitude)
            // Halfway between two halves: rounding must go to even.
            let half = UInt16.random(in: 0...0x7BFE, using: &random)
            samples.append((Float(Float16(bitPattern: half)) + Float(Float16(bitPattern: half + 1))) / 2)
        }
        for value in samples {
            let expected = Float16(value).bitPattern
            let actual = VectorMath.portableHalfBits(value)
            let bothNaN = value.isNaN && Float16(bitPattern: actual).isNaN
            #expect(actual == expected || bothNaN, "value \(value)")
        }
    }

    @Test func decodingRejectsWrongByteCounts() throws {
        let bytes: [UInt8] = Array(repeating: 0, count: 10)
        let error = #expect(throws: VectorFormatError.self) {
            try bytes.withUnsafeBytes { try VectorMath.decode($0, encoding: .float32, dimensions: 3) }
        }
        #expect(error?.expectedByteCount == 12)
        #expect(error?.byteCount == 10)
        #expect(error?.description == "a float32 vector of 3 dimensions takes 12 bytes, found 10")
        #expect(throws: VectorFormatError.self) {
            try bytes.withUnsafeBytes { try VectorMath.decode($0, encoding: .float16, dimensions: 4) }
        }
        var output = [Float](repeating: 9, count: 4)
        #expect(throws: VectorFormatError.self) {
            try bytes.withUnsafeBytes { bytes in
                try output.withUnsafeMutableBufferPointer { try VectorMath.decode(bytes, encoding: .float16, into: $0) }
            }
        }
        #expect(output == [9, 9, 9, 9])
        let five = try bytes.withUnsafeBytes { try VectorMath.decode($0, encoding: .float16, dimensions: 5) }
        #expect(five == [0, 0, 0, 0, 0])
    }

    // MARK: Exact search

    @Test func topKMatchesBruteForceWithFilter() throws {
        var random = SeededGenerator(state: 1)
        let matrix = randomMatrix(rows: 500, dimensions: 37, using: &random)
        let query = (0..<37).map { _ in Float.random(in: -1...1, using: &random) }
        let filter: @Sendable (Int) -> Bool = { $0 % 3 != 1 && $0 != 42 }
        let expected = bruteForce(matrix, query: query, k: 25, include: filter)
        let actual = matrix.topK(query: query, k: 25, where: filter)
        #expect(actual.map(\.row) == expected.map(\.row))
        #expect(actual.map(\.score) == expected.map(\.score))
        #expect(actual.allSatisfy { filter($0.row) })
        // Fewer rows than k, k of zero, an empty matrix.
        #expect(matrix.topK(query: query, k: 1000, where: { $0 < 10 }).map(\.row).sorted() == Array(0..<10))
        #expect(matrix.topK(query: query, k: 0).isEmpty)
        #expect(VectorMatrix(dimensions: 37).topK(query: query, k: 5).isEmpty)
        #expect(matrix.topK(query: query, k: 5, where: { _ in false }).isEmpty)
    }

    @Test func parallelTopKMatchesBruteForceAndBreaksTiesByRow() throws {
        var random = SeededGenerator(state: 2)
        let dimensions = 20
        var matrix = randomMatrix(rows: 9000, dimensions: dimensions, using: &random)
        // Duplicate rows score the same; the lower row must come first, whichever worker found it.
        let duplicate = (0..<dimensions).map { _ in Float.random(in: -1...1, using: &random) }
        for _ in 0..<3 { matrix.append(duplicate) }
        matrix = appendingRandomRows(to: matrix, count: 4000, using: &random)
        for _ in 0..<3 { matrix.append(duplicate) }
        #expect(matrix.count >= VectorMatrix.parallelThreshold)
        let query = duplicate.map { $0 + 0.01 }
        let cases: [(k: Int, filter: @Sendable (Int) -> Bool)] = [(10, { _ in true }), (50, { $0 % 7 != 3 })]
        for (k, filter) in cases {
            let expected = bruteForce(matrix, query: query, k: k, include: filter)
            let actual = matrix.topK(query: query, k: k, where: filter)
            #expect(actual.map(\.row) == expected.map(\.row))
            #expect(actual.map(\.score) == expected.map(\.score))
            #expect(Array(actual.prefix(6).map(\.row)) == [9000, 9001, 9002, 13003, 13004, 13005])
        }
    }

    @Test func matrixNormalizesAndDecodesRows() throws {
        var matrix = VectorMatrix(dimensions: 3)
        matrix.append([3, 0, 4])
        let encoded = VectorMath.encode([0, 2, 0], as: .float16)
        try encoded.withUnsafeBytes { try matrix.append(encoded: $0, encoding: .float16) }
        #expect(matrix.count == 2)
        #expect(matrix.row(0) == [0.6, 0, 0.8])
        #expect(matrix.row(1) == [0, 1, 0])
        #expect(throws: VectorFormatError.self) {
            try encoded.withUnsafeBytes { try matrix.append(encoded: $0, encoding: .float32) }
        }
        #expect(matrix.count == 2)
        let hits = matrix.topK(query: [0, 5, 0], k: 2)
        #expect(hits.map(\.row) == [1, 0])
        #expect(hits.map(\.score) == [1, 0])
    }

    // MARK: Ranking

    @Test func bm25IsMonotonic() {
        let bm25 = BM25()
        #expect(bm25.k1 == 1.2 && bm25.b == 0.75)
        func score(tf: Int = 3, length: Int = 100, df: Int = 10, count: Int = 1000, average: Double = 100) -> Double {
            bm25.score(
                termFrequency: tf, documentLength: length, documentFrequency: df, documentCount: count,
                averageDocumentLength: average)
        }
        #expect(score(tf: 0) == 0)
        #expect(score(tf: 1) < score(tf: 2) && score(tf: 2) < score(tf: 10))
        #expect(score(length: 50) > score(length: 100) && score(length: 100) > score(length: 400))
        #expect(score(df: 1) > score(df: 10) && score(df: 10) > score(df: 900))
        #expect(score(df: 1000) > 0)  // the idf never goes negative, even for a term in every document
        // tf = 3, average length: idf · 3 · 2.2 / (3 + 1.2).
        let idf = log(1 + (1000 - 10 + 0.5) / (10 + 0.5))
        #expect(abs(score() - idf * 3 * 2.2 / 4.2) < 1e-12)
        #expect(bm25.inverseDocumentFrequency(documentFrequency: 10, documentCount: 1000) == idf)
        #expect(score(average: 0) == score(length: 100, average: 100))
    }

    @Test func reciprocalRankFusionOrdersAndBreaksTies() {
        let fused = ReciprocalRankFusion.fuse([["a", "b", "c"], ["b", "c", "d"]])
        #expect(fused.map(\.id) == ["b", "c", "a", "d"])
        #expect(fused[0].score == 1.0 / 62 + 1.0 / 61)
        #expect(fused[2].score == 1.0 / 61)
        // Equal scores are ordered by ID; a repeat within one ranking counts once, at its best rank.
        let ties = ReciprocalRankFusion.fuse([[3, 1, 3], [1, 3]], k: 0)
        #expect(ties.map(\.id) == [1, 3])
        #expect(ties.map(\.score) == [1.5, 1.5])
        #expect(ReciprocalRankFusion.fuse([[Int]]()).isEmpty)
    }
}

// MARK: - Helpers

private func dotProduct(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in VectorMath.dot(a, b) } }
}

/// The top `k` rows by sorting every included row's score, with the same dot product and tie-break.
private func bruteForce(_ matrix: VectorMatrix, query: [Float], k: Int, include: (Int) -> Bool)
    -> [(row: Int, score: Float)]
{
    let query = VectorMath.normalized(query)
    let scored = (0..<matrix.count).filter(include).map { (row: $0, score: dotProduct(matrix.row($0), query)) }
    return Array(scored.sorted { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }.prefix(k))
}

private func randomMatrix(rows: Int, dimensions: Int, using random: inout SeededGenerator) -> VectorMatrix {
    appendingRandomRows(to: VectorMatrix(dimensions: dimensions, reservingCapacity: rows), count: rows, using: &random)
}

private func appendingRandomRows(to matrix: VectorMatrix, count: Int, using random: inout SeededGenerator)
    -> VectorMatrix
{
    var matrix = matrix
    for _ in 0..<count {
        matrix.append((0..<matrix.dimensions).map { _ in Float.random(in: -1...1, using: &random) })
    }
    return matrix
}
