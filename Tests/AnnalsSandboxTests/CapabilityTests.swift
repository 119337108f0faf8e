import AnnalsSandbox
import Testing

@Suite("Capabilities and permissions")
struct CapabilityTests {
    let sandbox = Sandbox()

    @Test("capabilities round-trip through their string form")
    func parsing() throws {
        for text in ["events.read", "events.append", "kv", "secrets.read:API_KEY"] {
            #expect(try Capability(parsing: text).description == text)
        }
        #expect(try Capability(parsing: "secrets.read:API_KEY") == .secretsRead("API_KEY"))
        for bad in ["", "events", "secrets.read", "secrets.read:", "secrets.read:A B", "net.http"] {
            #expect(throws: CapabilityParseError.self) { try Capability(parsing: bad) }
        }
        do {
            _ = try Capability(parsing: "net.http")
        } catch {
            #expect(error.description.contains("net.http"))
        }
    }

    @Test("an import without its capability is denied at instantiation, naming the capability and the import")
    func forbiddenImport() throws {
        let module = try Plugins.load("forbidden-import")
        #expect(module.hostImports == [.secretGet])
        let host = InMemoryPluginHost(secrets: ["API_KEY": "s3cr3t-value"])
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "length", input: bytes(#"{"name":"API_KEY"}"#), grants: [.kv], host: host)
        }
        #expect(stopped?.kind == .permissionDenied)
        #expect(stopped?.message.contains("secrets.read") == true)
        #expect(stopped?.message.contains("annals.secret_get") == true)
        #expect(host.calls == 0)

        let counter = try Plugins.load("event-counter")
        let denied = failure {
            try sandbox.invoke(module: counter, action: "on_event", input: bytes(#"{"type":"a"}"#), host: host)
        }
        #expect(denied?.kind == .permissionDenied)
        #expect(denied?.message.contains("capability kv") == true)
        try expectEchoWorks(sandbox)
    }

    /// Names are compared byte for byte: `API_\u{212A}EY` (with a Kelvin sign) is canonically equivalent to
    /// `API_KEY` as a `String`, but no grant names it, and the audit trail must not record a name no grant has.
    @Test("a secret name canonically equivalent to a granted one is denied")
    func anEquivalentSecretNameIsDenied() throws {
        let module = try Plugins.load("forbidden-import")
        let host = InMemoryPluginHost(secrets: ["API_KEY": "s3cr3t-value"])
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "length", input: bytes("{\"name\":\"API_\u{212A}EY\"}"),
                grants: [.secretsRead("API_KEY")], host: host)
        }
        #expect(stopped?.kind == .permissionDenied)
    }

    @Test("a granted secret is readable; another name is denied at call time")
    func secretByName() throws {
        let module = try Plugins.load("forbidden-import")
        let host = InMemoryPluginHost(secrets: ["API_KEY": "s3cr3t-value", "OTHER": "other-value"])
        let length = try sandbox.invoke(
            module: module, action: "length", input: bytes(#"{"name":"API_KEY"}"#), grants: [.secretsRead("API_KEY")],
            host: host)
        #expect(length.outputText == #"{"length":12}"#)
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "length", input: bytes(#"{"name":"OTHER"}"#),
                grants: [.secretsRead("API_KEY")], host: host)
        }
        #expect(stopped?.kind == .permissionDenied)
        #expect(stopped?.message.contains("secrets.read:OTHER") == true)
        #expect(stopped?.message.contains("other-value") == false)
    }

    @Test("a secret's value never appears in a result or a failure")
    func secretsNeverLeak() throws {
        let module = try Plugins.load("forbidden-import")
        let value = "s3cr3t-value"
        let host = InMemoryPluginHost(secrets: ["API_KEY": value])
        let grants: Set<Capability> = [.secretsRead("API_KEY")]
        let length = try sandbox.invoke(
            module: module, action: "length", input: bytes(#"{"name":"API_KEY"}"#), grants: grants, host: host)
        #expect(!length.outputText.contains(value))
        let leak = failure {
            try sandbox.invoke(
                module: module, action: "leak", input: bytes(#"{"name":"API_KEY"}"#), grants: grants, host: host)
        }
        #expect(leak?.kind == .permissionDenied)
        #expect(leak?.message.contains("API_KEY") == true)
        #expect(leak.map { String(describing: $0).contains(value) } == false)
    }

    /// A failure message is redacted on UTF-8 bytes: `String.replacing` compares grapheme clusters, and a combining
    /// mark after the value merged with its last character and let the value through into the audit trail.
    @Test("a secret's value followed by a combining mark is still redacted from a failure message")
    func aCombiningMarkDoesNotHideTheValueFromRedaction() throws {
        let module = try Plugins.load("secret-stash")
        let value = "s3cr3t-value"
        let host = InMemoryPluginHost(secrets: ["API_KEY": value])
        let refused = failure {
            try sandbox.invoke(
                module: module, action: "probe", input: bytes(#"{"name":"API_KEY"}"#),
                grants: [.secretsRead("API_KEY"), .kv, .eventsAppend], host: host)
        }
        #expect(refused?.kind == .permissionDenied)
        #expect(
            refused.map { Array($0.message.utf8).firstRange(of: Array("<secret API_KEY>".utf8)) != nil } == true,
            "\(String(describing: refused))")
        #expect(refused.map { Array(String(describing: $0).utf8).firstRange(of: Array(value.utf8)) == nil } == true)
    }

    @Test("a secret's value is never written to the store: kv_set and events_append carrying it are refused")
    func secretsNeverReachTheStore() throws {
        let module = try Plugins.load("secret-stash")
        let value = "s3cr3t-value"
        let host = InMemoryPluginHost(secrets: ["API_KEY": value])
        let grants: Set<Capability> = [.secretsRead("API_KEY"), .kv, .eventsAppend]
        for (action, function) in [("stash", "kv_set: the value"), ("emit", "events_append: the event")] {
            let refused = failure {
                try sandbox.invoke(
                    module: module, action: action, input: bytes(#"{"name":"API_KEY"}"#), grants: grants, host: host)
            }
            #expect(refused?.kind == .permissionDenied, "\(action)")
            #expect(refused?.message.contains("\(function) contains the value of secret API_KEY") == true, "\(action)")
            #expect(refused.map { String(describing: $0).contains(value) } == false)
        }
        #expect(host.events.isEmpty && host.values.isEmpty, "nothing was written")
    }
}
