import Annals
import ArgumentParser
import Foundation

/// Checks shared by the ontology query commands, and by the commands that filter events by id.
enum OntologyArguments {
    /// Rejects a `--limit` below 1, or above `maximum` when given.
    static func checkLimit(_ limit: Int, maximum: Int? = nil) throws {
        if let maximum, !(1...maximum).contains(limit) {
            throw ValidationError("--limit must be in 1…\(maximum), got \(limit)")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// Rejects an id given to `flag` that no event or entity can have (exit 64): the engine's rule for an event's
    /// `actorId`, `targetId` and `groupId` (``NewEvent/identifierProblem(_:)``: 1–256 bytes of UTF-8 without control
    /// characters), applied to the id in Unicode normalization form C, the spelling queries look ids up by. An id the
    /// rule refuses (`--thing ''`, `--actor $'\t'`, 300 bytes) would match nothing; one it accepts may match
    /// (`' '` is an id events may carry).
    static func checkIdentifiers(_ values: [String?], flags: [String]) throws {
        try check(values, flags: flags, by: NewEvent.identifierProblem)
    }

    /// Rejects a type, label or status given to `flag` that no entity can have (exit 64): empty, longer than 64
    /// bytes in every spelling, or with a control character (``OntologyEventType/nameProblem(_:)``).
    static func checkNames(_ values: [String?], flags: [String]) throws {
        try check(values, flags: flags, by: OntologyEventType.nameProblem)
    }

    /// Rejects the first value that is empty, or whose spelling in Unicode normalization form C `problem` finds
    /// fault with, naming the flag it was given to.
    private static func check(_ values: [String?], flags: [String], by problem: (String) -> String?) throws {
        for (value, flag) in zip(values, flags) {
            guard let value else { continue }
            if value.isEmpty { throw ValidationError("\(flag) cannot be empty") }
            if let problem = problem(value.precomposedStringWithCanonicalMapping) {
                throw ValidationError("\(flag) \(problem)")
            }
        }
    }
}
