/// A failed C call in a benchmark baseline, naming the call and carrying the library's own message.
///
/// ```swift
/// throw BenchError(call: "mdb_put", code: rc, message: String(cString: mdb_strerror(rc)))
/// ```
struct BenchError: Error, CustomStringConvertible, Sendable {
    /// The C call that failed, such as `mdb_txn_commit` or `sqlite3_step(INSERT)`.
    let call: String
    /// The result code the call returned (an `MDB_*`, `SQLITE_*` or `errno` value).
    let code: Int32
    /// The library's description of the failure.
    let message: String

    /// A one-line description: the call, the code and the message.
    var description: String { "\(call) failed with \(code): \(message)" }
}
