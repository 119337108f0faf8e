import Foundation
import Testing

/// docs/ARCHITECTURE.md ("Errors") has a row for every case of ``AnnalsError``, so that an embedder reading the table
/// can switch over all of them.
@Suite struct ErrorsTableTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyCaseOfAnnalsErrorHasARow() throws {
        let source = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/Annals/Store/AnnalsError.swift"), encoding: .utf8)
        let architecture = try String(
            contentsOf: Self.root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        // The declarations (`    case name(…)`), not the `case .name` patterns of `description`.
        let cases = source.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("    case ") else { return nil }
            return String(line.dropFirst(9).prefix { $0.isLetter || $0.isNumber })
        }
        #expect(cases.count >= 18 && cases.contains("rollbackRefused"), "\(cases)")
        let rows = architecture.split(separator: "\n").filter { $0.hasPrefix("| `") }
        for name in cases {
            #expect(
                rows.contains { $0.hasPrefix("| `\(name)(") || $0.hasPrefix("| `\(name)`") },
                "docs/ARCHITECTURE.md has no row for AnnalsError.\(name)")
        }
    }
}
