import Foundation

/// What `/proc` says about processes, for tests of the processes the code under test starts.
public enum ProcessTable {
    /// The processes whose parent is `parent` and whose command line contains `argument`.
    public static func children(of parent: Int32, withArgument argument: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            parentOf(pid) == parent && commandLine(of: pid).contains(argument)
        }
    }

    /// The parent of `pid`, from `/proc/PID/stat`; `nil` when it is gone.
    public static func parentOf(_ pid: Int32) -> Int32? {
        statFields(of: pid).flatMap { $0.count > 1 ? Int32($0[1]) : nil }
    }

    /// Whether `pid` is still running: it exists and is not a zombie.
    public static func isRunning(_ pid: Int32) -> Bool {
        guard let state = statFields(of: pid)?.first else { return false }
        return state != "Z" && state != "X"
    }

    /// The arguments of `pid`, from `/proc/PID/cmdline`.
    public static func commandLine(of pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The open descriptors of `pid` and what each refers to (`socket:[…]`, `pipe:[…]`, a path).
    public static func descriptors(of pid: Int32) -> [Int32: String] {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Int32: String] = [:]
        for name in names {
            guard let descriptor = Int32(name),
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + name)
            else { continue }
            result[descriptor] = target
        }
        return result
    }

    /// The fields of `/proc/PID/stat` after the command name: state, parent, …
    private static func statFields(of pid: Int32) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let end = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: end)...].split(separator: " ").map(String.init)
    }
}
