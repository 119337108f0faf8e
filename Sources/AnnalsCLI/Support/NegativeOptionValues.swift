/// Joins a negative number given as an option's value to its option (`--keep -1` becomes `--keep=-1`).
///
/// ArgumentParser reads a word starting with `-` as an option, so `--keep -1` failed with "Missing value for
/// '--keep <keep>'" although a value was given. Joined, the value reaches the option and is refused there
/// (``WholeNumber`` takes digits only: `The value '-1' is invalid for '--keep <keep>'`), and a flag that takes no
/// value is refused for the `=` instead. Words after `--` are left alone.
enum NegativeOptionValues {
    /// `arguments` with every negative number that follows a `--long-option` (without `=`) joined to it.
    static func joined(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" {
                result.append(contentsOf: arguments[index...])
                break
            }
            if word.hasPrefix("--"), word.count > 2, !word.contains("="), index + 1 < arguments.count,
                isNegativeNumber(arguments[index + 1])
            {
                result.append(word + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(word)
            index += 1
        }
        return result
    }

    /// Whether `word` is `-` followed by a number (`-1`, `-0.5`, `-1e3`), which no option of the CLI is named like.
    static func isNegativeNumber(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        let rest = word.dropFirst()
        guard let first = rest.first, first.isASCII, first.isNumber || first == "." else { return false }
        return Double(rest) != nil
    }
}
