import Annals

/// The `--format table` layout of the ontology commands: a header and rows whose columns are as wide as their widest
/// cell (cut at ``maximumWidth`` with `…`), two spaces apart; the last column is not padded.
struct TextTable {
    /// The column titles.
    let headers: [String]
    /// The rows added so far, one cell per column.
    private(set) var rows: [[String]] = []
    /// The widest a column may be, in terminal columns (``DisplayWidth``).
    var maximumWidth = 40
    /// Columns (by title) allowed another width than ``maximumWidth``: the text columns of the ontology commands.
    var columnMaximumWidths: [String: Int] = [:]

    /// A table with these column titles.
    init(_ headers: [String]) {
        self.headers = headers
    }

    /// Adds a row; each cell is made ``printable(_:)``.
    mutating func add(_ cells: [String]) {
        rows.append(cells.map(Self.printable))
    }

    /// `text` with every line break, control character (tabs, terminal escapes, bell) and bidirectional override as
    /// a space, so that text from events cannot break a row, move the cursor, recolour the terminal or reorder a line.
    /// Every table that shows text from events passes it through here (`stats` and `cursors` show only checked ASCII).
    static func printable(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return text }
        return String(text.map { isInert($0) ? $0 : " " })
    }

    /// Whether `character` prints as itself: no line break, no control character (category Cc) and no
    /// bidirectional embedding, override or isolate among its scalars.
    static func isInert(_ character: Character) -> Bool {
        !character.isNewline
            && !character.unicodeScalars.contains { scalar in
                scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value)
                    || (0x2066...0x2069).contains(scalar.value)
            }
    }

    /// The header and the rows, aligned.
    var lines: [String] {
        let limits = headers.map { columnMaximumWidths[$0] ?? maximumWidth }
        let all =
            [headers]
            + rows.map { row in
                row.enumerated().map { column, cell in
                    Self.cut(cell, column < limits.count ? limits[column] : maximumWidth)
                }
            }
        var widths = headers.map { _ in 0 }
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], DisplayWidth.of(cell))
            }
        }
        return all.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : DisplayWidth.padded(cell, to: widths[column] + 2)
            }
            return line
        }
    }

    /// Prints ``lines`` to standard output.
    func print() throws {
        for line in lines { try Output.standard.line(line) }
    }

    /// `text` cut to `width` columns (``DisplayWidth``), the last one `…` when it was longer.
    static func cut(_ text: String, _ width: Int) -> String {
        DisplayWidth.of(text) <= width ? text : String(DisplayWidth.prefix(of: text, fitting: width - 1).text) + "…"
    }

    /// A cell of a fixed-width column (`read` and `audit` tables): `text` made ``printable(_:)`` and padded to `width`
    /// columns; when it would take them all, ``cut(_:_:)`` to leave one blank before the next column, its last one
    /// `…`, so that a cut name never reads as another whole one.
    static func fixedCell(_ text: String, width: Int) -> String {
        DisplayWidth.padded(cut(printable(text), width - 1), to: width)
    }

    /// A number's cell in a fixed-width column (an offset, a count, `#` and an offset): padded to `width` columns and
    /// never cut, since a number cut short reads as another; a longer one takes the columns it needs and one more.
    static func wholeCell(_ number: String, width: Int) -> String {
        DisplayWidth.padded(number, to: max(width, number.utf8.count + 1))
    }
}

extension Output {
    /// Prints `items` as JSON lines (`json` of each) or, for `--format table`, as a table with `columns` and one
    /// `row` per item: the two shapes every listing command offers.
    func items<Item>(
        _ items: [Item], format: OutputFormat, json: (Item) -> JSONValue, columns: [String],
        maximumWidth: Int = 40, row: (Item) -> [String]
    ) throws {
        guard format == .table else {
            for item in items { try line(json(item).canonicalBytes) }
            return
        }
        var table = TextTable(columns)
        table.maximumWidth = maximumWidth
        for item in items { table.add(row(item)) }
        try table.print()
    }
}
