import AnnalsSandbox
import AnnalsTestSupport
import Testing

@Suite("Module validation")
struct ModuleValidationTests {
    @Test("bytes that are not WebAssembly are malformed")
    func malformed() {
        #expect(throws: PluginModuleError.self) { try PluginModule(bytes: bytes("hello")) }
        do {
            _ = try PluginModule(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0xFF])
            Issue.record("a truncated module was accepted")
        } catch {
            #expect(error.reason == .malformed)
        }
    }

    @Test("a valid module without the ABI's exports is refused, naming what is missing")
    func missingExports() {
        // The empty module: magic and version only.
        do {
            _ = try PluginModule(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00])
            Issue.record("the empty module was accepted")
        } catch {
            #expect(error.reason == .missingExport)
            #expect(error.message.contains("action"))
        }
    }

    @Test("a missing file or a directory is unreadable, with the system's reason")
    func unreadable() {
        for (path, reason) in [("/nonexistent/plugin.wasm", "No such file or directory"), ("/tmp", "Is a directory")] {
            do {
                _ = try PluginModule(contentsOfFile: path)
                Issue.record("\(path) was read")
            } catch {
                #expect(error.reason == .unreadable)
                #expect(error.message == "cannot read \(path): \(reason)")
            }
        }
        // A device without end is read no further than a module may be.
        do {
            _ = try PluginModule(contentsOfFile: "/dev/zero", limits: PluginModuleLimits(maxModuleBytes: 1 << 20))
            Issue.record("/dev/zero was read")
        } catch {
            #expect(error.reason == .tooLarge)
            #expect(error.message == "is more than the limit of 1048576 bytes")
        }
    }

    @Test("every example plugin parses and lists its actions and imports")
    func examples() throws {
        #expect(try Plugins.load("echo").actions == ["bad_pointer", "echo", "not_json", "on_event"])
        #expect(try Plugins.load("trap").actions == ["divide", "on_event", "unreachable"])
        #expect(try Plugins.load("event-log").requiredCapabilities == [.eventsRead, .eventsAppend])
        #expect(try Plugins.load("memory-bomb").initialMemoryPages >= 2)
    }

    @Test("an import that is not a host function is refused")
    func unknownImport() throws {
        // (module (import "env" "f" (func)) (func (export "action_x")))
        let module: [UInt8] = [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x02, 0x09, 0x01, 0x03, 0x65, 0x6E, 0x76, 0x01, 0x66, 0x00, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x07, 0x0C, 0x01, 0x08, 0x61, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x5F, 0x78, 0x00, 0x01,
            0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
        ]
        do {
            _ = try PluginModule(bytes: module)
            Issue.record("a module importing env.f was accepted")
        } catch {
            #expect(error.reason == .unknownImport)
            #expect(error.message.contains("env.f"))
        }
    }

    @Test("a host function imported with another type is refused, saying what the module declares and the host has")
    func mistypedImport() throws {
        var builder = WasmModuleBuilder()
        builder.imports = [(name: "kv_get", parameters: 1, results: 1)]
        do {
            _ = try PluginModule(bytes: builder.bytes)
            Issue.record("a module importing kv_get as (i32) -> i32 was accepted")
        } catch {
            #expect(error.reason == .wrongImport)
            #expect(
                error.message
                    == "declares the import annals.kv_get as (i32) -> (i32), but the host function is "
                    + "(i32, i32, i32, i32) -> (i32)")
        }
        builder.imports = [(name: "kv_get", parameters: 4, results: 1)]
        #expect(try PluginModule(bytes: builder.bytes).hostImports == [.kvGet])
    }
}
