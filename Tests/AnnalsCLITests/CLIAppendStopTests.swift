import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `annals append` stopped by SIGINT, SIGTERM or SIGHUP: it stops between batches, every batch appended has its
/// receipts printed, and the message names how far the input got, with exit 128 + the signal's number.
@Suite("CLI: append stopped by a signal")
struct CLIAppendStopTests {
    @Test(.timeLimit(.minutes(5)))
    func aSignalWhileWaitingForInputNamesTheLastLineAppended() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let append = try fx.start(["append", "--store", fx.store])
            append.send(sampleLines(3).joined(separator: "\n") + "\n")
            #expect(append.stdout.waitForLines(3, timeout: 30), "the three lines are appended as they arrive")
            append.kill(SIGINT)
            let result = append.finish(timeout: 30, closingInput: false)
            append.closeInput()
            #expect(result.status == 130 && !result.signaled, "\(result)")
            #expect(result.lines.count == 3, "\(result)")
            let head = try fx.headOffset()
            #expect(
                result.errors
                    == "annals: stopped by SIGINT; events through offset \(head) (line 3) were appended, later lines "
                    + "were not\n", "\(result)")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aSignalDuringALongImportStopsBetweenBatchesWithEveryReceiptPrinted() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let file = fx.path("many.jsonl")
            try (sampleLines(60_000).joined(separator: "\n") + "\n").write(
                toFile: file, atomically: true, encoding: .utf8)
            let append = try fx.start(["append", "--store", fx.store, "--file", file])
            #expect(append.stdout.waitForLines(1, timeout: 60), "the first batch is appended")
            append.kill(SIGTERM)
            let result = append.finish(timeout: 60)
            if result.status == Exit.ok {
                // The whole file was appended before the signal came: nothing to check on a machine this fast.
                return
            }
            #expect(result.status == 143 && !result.signaled, "\(result)")
            let receipts = result.objects()
            let head = try fx.headOffset()
            #expect(receipts.last?.int("offset") == head, "every batch appended has its receipts printed: \(result)")
            #expect(
                result.errors
                    == "annals: stopped by SIGTERM; events through offset \(head) (line \(receipts.count)) were "
                    + "appended, later lines were not\n", "\(result)")
            let verify = try fx.annals("verify")
            #expect(verify.status == Exit.ok, "\(verify)")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func anAtomicAppendStoppedWhileReadingWritesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let append = try fx.start(["append", "--atomic", "--store", fx.store])
            append.send(sampleLines(5).joined(separator: "\n") + "\n")
            // The lines are read and held; the input stays open, so the command waits for more.
            usleep(300_000)
            append.kill(SIGHUP)
            let result = append.finish(timeout: 30, closingInput: false)
            append.closeInput()
            #expect(result.status == 129 && !result.signaled, "\(result)")
            #expect(result.lines.isEmpty, "\(result)")
            #expect(result.errors == "annals: stopped by SIGHUP; nothing was written (--atomic)\n", "\(result)")
            #expect(try fx.headOffset() == 0)
        }
    }
}
