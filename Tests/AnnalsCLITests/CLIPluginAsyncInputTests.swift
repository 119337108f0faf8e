import AnnalsTestSupport
import Foundation
import Testing

@Suite("annals plugin run --async: an input the job's event cannot record is refused before a runner starts")
struct CLIPluginAsyncInputTests {
    @Test("input nested 127 levels deep (JSON, but one level too deep for the queued event) exits 2 and starts nothing")
    func tooDeepForTheQueuedEvent() throws {
        try withPlugins(["echo"]) { fx in
            let input = String(repeating: "[", count: 127) + String(repeating: "]", count: 127)
            let submitted = try fx.annals(
                "plugin", "run", "echo", "echo", "--group", "acme", "--async", "--input", input)
            #expect(submitted.status == Exit.invalidInput, "\(submitted)")
            #expect(submitted.errors.contains("the input cannot be recorded with the job"), "\(submitted)")
            #expect(submitted.errors.contains("deeper than 127 levels"), "\(submitted)")
            #expect(fx.jobRunners.isEmpty)
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
