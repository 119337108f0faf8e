import CAnnalsSupport

/// Names the calling thread `name` (at most 15 bytes, all Linux keeps) for `top -H`, `perf` and debuggers.
///
/// Foundation's `Thread.name`, set before a thread starts, does not reach the operating system on Linux: every
/// engine thread showed its creator's name. Each engine thread calls this first.
func nameCurrentThread(_ name: String) {
    precondition(name.utf8.count <= 15, "thread name '\(name)' is longer than Linux keeps")
    annals_name_current_thread(name)
}
