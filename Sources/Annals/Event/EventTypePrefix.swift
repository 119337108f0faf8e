import Glibc

extension String {
    /// Whether this event type starts with `prefix`, compared as bytes.
    ///
    /// Event types are ASCII (``NewEvent`` validation), so this is what `hasPrefix` answers, without its Unicode
    /// work (grapheme boundaries), which was a noticeable part of a replay: every projection asks about every event.
    /// - Parameter prefix: An ASCII prefix such as `"thing."`.
    func hasEventTypePrefix(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        let answer = utf8.withContiguousStorageIfAvailable { bytes in
            bytes.count >= count && (count == 0 || memcmp(bytes.baseAddress!, prefix.utf8Start, count) == 0)
        }
        return answer ?? utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: count))
    }
}
