import Annals

extension VerificationProblem {
    /// The stderr line for damage that `verify` or `audit` found, led by this (the first) problem: its offset, or for
    /// damage to the file's pages, which no offset names, that the page structure is damaged.
    func damageMessage(includingDetail: Bool) -> String {
        let detail = includingDetail ? ": \(self.detail)" : ""
        if kind == .structure { return "damage found: the data file's page structure is damaged\(detail)" }
        if kind == .index { return "damage found: an index disagrees with the log\(detail)" }
        return "damage found: first bad offset \(offset): \(kind.rawValue)\(detail)"
    }
}
