import CZstd

/// Trains zstd dictionaries from sample payloads (`ZDICT_trainFromBuffer`).
enum DictionaryTrainer {
    /// Why training produced no dictionary.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The dictionary size for `sampleBytes` bytes of samples: about 1/32 of them, between 4 KiB and 64 KiB.
    static func capacity(forSampleBytes sampleBytes: Int) -> Int {
        min(max(sampleBytes / 32, 4 << 10), 64 << 10)
    }

    /// Trains a dictionary from `samples`.
    /// - Throws: ``Failure`` when zstd refuses (too few or too uniform samples).
    static func train(samples: [[UInt8]]) throws(Failure) -> [UInt8] {
        guard samples.count >= 16 else { throw Failure(description: "too few samples (\(samples.count), need 16)") }
        var concatenated: [UInt8] = []
        concatenated.reserveCapacity(samples.reduce(0) { $0 + $1.count })
        var sizes: [Int] = []
        sizes.reserveCapacity(samples.count)
        for sample in samples {
            concatenated.append(contentsOf: sample)
            sizes.append(sample.count)
        }
        var dictionary = [UInt8](repeating: 0, count: capacity(forSampleBytes: concatenated.count))
        let dictionaryCapacity = dictionary.count
        let result = dictionary.withUnsafeMutableBytes { dict in
            concatenated.withUnsafeBytes { samplesBuffer in
                ZDICT_trainFromBuffer(
                    dict.baseAddress, dictionaryCapacity, samplesBuffer.baseAddress, sizes, UInt32(sizes.count))
            }
        }
        if ZDICT_isError(result) != 0 {
            throw Failure(description: "ZDICT_trainFromBuffer: " + String(cString: ZDICT_getErrorName(result)))
        }
        return Array(dictionary[0..<result])
    }
}
