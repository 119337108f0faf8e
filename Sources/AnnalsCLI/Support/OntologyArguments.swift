import ArgumentParser

/// Checks shared by the ontology query commands.
enum OntologyArguments {
    /// Rejects a `--limit` below 1, or above `maximum` when given.
    static func checkLimit(_ limit: Int, maximum: Int? = nil) throws {
        if let maximum, !(1...maximum).contains(limit) {
            throw ValidationError("--limit must be in 1…\(maximum), got \(limit)")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// Rejects an empty id, type, label or group given to `flag`: no entity has one.
    static func checkNotEmpty(_ values: [String?], flags: [String]) throws {
        for (value, flag) in zip(values, flags) where value?.isEmpty == true {
            throw ValidationError("\(flag) cannot be empty")
        }
    }
}
