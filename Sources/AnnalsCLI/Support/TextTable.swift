/// The `--format table` layout of the ontology commands: a header and rows whose columns are as wide as their widest
/// cell (cut at ``maximumWidth`` with `…`), two spaces apart; the last column is not padded.
struct TextTable {
    /// The column titles.
    let headers: [String]
    /// The rows added so far, one cell per column.
    private(set) var rows: [[String]] = []
    /// The widest a column may be, in characters.
    var maximumWidth = 40

    /// A table with these column titles.
    init(_ headers: [String]) {
        self.headers = headers
    }

    /// Adds a row; control characters (such as newlines) in a cell print as spaces.
    mutating func add(_ cells: [String]) {
        rows.append(cells.map { String($0.map { $0.isNewline || $0 == "\t" ? " " : $0 }) })
    }

    /// The header and the rows, aligned.
    var lines: [String] {
        let all = [headers] + rows.map { $0.map { Self.cut($0, maximumWidth) } }
        var widths = headers.map { _ in 0 }
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return all.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            return line
        }
    }

    /// Prints ``lines`` to standard output.
    func print() throws {
        for line in lines { try Output.standard.line(line) }
    }

    /// `text` cut to `width` characters, the last one `…` when it was longer.
    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}
