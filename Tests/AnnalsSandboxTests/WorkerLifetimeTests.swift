import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// A worker inherits only what it needs, and does not outlive its parent.
@Suite(
    "Worker processes: descriptors and lifetime",
    .enabled(
        if: annalsBinary != nil,
        "set ANNALS_BIN to the built annals binary (make test does) to run the worker-process tests"))
struct WorkerLifetimeTests {
    @Test("a worker holds no descriptor but its socket and standard error, not the parent's files")
    func descriptors() throws {
        // A file held open for writing without close-on-exec, as LMDB holds data.mdb.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("annals-held-\(getpid()).mdb").path
        let held = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(held >= 0)
        defer {
            close(held)
            unlink(path)
        }
        let sandbox = Sandbox(isolation: .workerProcesses(executable: annalsBinary ?? "", count: 1))
        try expectEchoWorks(sandbox)
        // This process's pool workers (the other tests' too): started with --parent-pid and this pid.
        let workers = ProcessTable.children(of: getpid(), withArgument: "sandbox-worker").filter { pid in
            ProcessTable.commandLine(of: pid).suffix(2) == ["--parent-pid", String(getpid())]
        }
        try #require(!workers.isEmpty, "no worker process found")
        for worker in workers {
            let descriptors = ProcessTable.descriptors(of: worker)
            #expect(descriptors[0]?.hasPrefix("socket:") == true, "\(descriptors)")
            #expect(descriptors[1] == descriptors[0], "\(descriptors)")
            // Standard error is inherited; anything else the worker has, it opened itself (no file, pipe or socket).
            let others = descriptors.filter { $0.key > 2 && !$0.value.hasPrefix("anon_inode:") }
            #expect(others.isEmpty, "worker \(worker) holds \(others)")
            #expect(!descriptors.values.contains(path))
        }
    }

    @Test("a worker whose parent is not the pid it was given exits at once")
    func orphanedAtStart() throws {
        // Its parent is this process, not pid 1: it must not wait for frames that will never come.
        let input = try SpawnedProcess.pipe()
        defer { close(input.write) }
        let process: SpawnedProcess
        do {
            defer { close(input.read) }
            process = try SpawnedProcess(
                annalsBinary ?? "", ["sandbox-worker", "--parent-pid", "1"],
                environment: ProcessInfo.processInfo.environment, standardInput: input.read, standardOutput: 1,
                standardError: 2)
        }
        let exited = process.waitForExit(timeout: 30) != nil
        #expect(exited, "the worker kept running")
        if !exited { process.kill(SIGKILL) }
        process.waitForExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("a broken frame is reported on standard error as a readable message")
    func readableFrameError() throws {
        let input = try SpawnedProcess.pipe()
        let errors = try SpawnedProcess.pipe()
        let process: SpawnedProcess
        do {
            defer {
                close(input.read)
                close(errors.write)
            }
            process = try SpawnedProcess(
                annalsBinary ?? "", ["sandbox-worker"], environment: ProcessInfo.processInfo.environment,
                standardInput: input.read, standardOutput: 1, standardError: errors.write)
        }
        // One frame of one byte: message type 9, which does not exist.
        let writer = FileHandle(fileDescriptor: input.write, closeOnDealloc: true)
        try writer.write(contentsOf: Data([1, 0, 0, 0, 9]))
        try writer.close()
        let reader = FileHandle(fileDescriptor: errors.read, closeOnDealloc: true)
        let text = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        process.waitForExit()
        #expect(process.terminationStatus == 70)
        #expect(text == "annals sandbox-worker: stopped serving its parent: unexpected frame type 9\n")
    }
}
