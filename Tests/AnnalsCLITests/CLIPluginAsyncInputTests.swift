import AnnalsTestSupport
import Foundation
import Testing

@Suite("annals plugin run --async: an input the job's event cannot record is refused before a runner starts")
struct CLIPluginAsyncInputTests {
    /// The process ids of `annals plugin run-job` processes for `store`, from `/proc`.
    static func runners(of store: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard entry.allSatisfy(\.isNumber),
                let bytes = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return false }
            let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains("run-job") && arguments.contains(store)
        }
    }

    @Test("input nested 127 levels deep (JSON, but one level too deep for the queued event) exits 2 and starts nothing")
    func tooDeepForTheQueuedEvent() throws {
        try withPlugins(["echo"]) { fx in
            let input = String(repeating: "[", count: 127) + String(repeating: "]", count: 127)
            let submitted = try fx.annals(
                "plugin", "run", "echo", "echo", "--group", "acme", "--async", "--input", input)
            #expect(submitted.status == Exit.invalidInput, "\(submitted)")
            #expect(submitted.errors.contains("the input cannot be recorded with the job"), "\(submitted)")
            #expect(submitted.errors.contains("deeper than 127 levels"), "\(submitted)")
            #expect(Self.runners(of: fx.store).isEmpty)
            let jobs = try fx.annals("plugin", "jobs", "--group", "acme")
            #expect(jobs.status == Exit.ok && jobs.output.isEmpty, "\(jobs)")

            // One level less is recorded, and the job runs.
            let shallower = String(repeating: "[", count: 126) + String(repeating: "]", count: 126)
            let accepted = try fx.annals(
                "plugin", "run", "echo", "echo", "--group", "acme", "--async", "--input", shallower)
            try #require(accepted.status == Exit.ok, "\(accepted)")
            let job = try #require(try accepted.object().string("job"))
            var state: String?
            for _ in 0..<200 where state != "executed" {
                state = try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == job }?
                    .string("state")
                usleep(50_000)
            }
            #expect(state == "executed")
        }
    }
}
