import Testing

@testable import AnnalsSandbox

/// The parent checks a worker's host calls again, since the worker runs untrusted code: a worker that skipped its own
/// checks (a compromised one) still cannot write a secret it was given into the store, or pass bytes that are not
/// UTF-8 as a key.
@Suite("Host calls from a worker, checked by the parent")
struct WorkerHostCallsTests {
    /// Sends one host call through `calls` and returns the reply's status and value or message.
    private func call(
        _ calls: inout WorkerHostCalls, _ function: HostFunction, _ first: [UInt8], _ second: [UInt8] = []
    ) throws -> (status: UInt8, body: [UInt8]) {
        var frame = FrameWriter(.hostCall)
        frame.text(function.rawValue)
        frame.data(first)
        frame.data(second)
        var request = FrameReader(Array(frame.frame.dropFirst(4)))
        var reply = FrameReader(Array(try calls.answer(&request).frame.dropFirst(4)))
        #expect(reply.message == .hostReply)
        let status = try reply.integer(UInt8.self)
        return (status, status == 1 ? [] : try reply.data())
    }

    @Test("an event or a key/value entry carrying a secret handed out is refused, however the worker sends it")
    func secretsStayOutOfTheStore() throws {
        let host = InMemoryPluginHost(secrets: ["API_KEY": "sk-live-123"])
        var calls = WorkerHostCalls(host: host, grants: [.eventsAppend, .kv, .secretsRead("API_KEY")])
        let secret = try call(&calls, .secretGet, Array("API_KEY".utf8))
        #expect(secret.status == 0 && secret.body == Array("sk-live-123".utf8))

        let escaped = #"{"type":"leak","metadata":{"key":"\u0073k-live-123"}}"#
        let event = try call(&calls, .eventsAppend, Array(escaped.utf8))
        #expect(event.status == 2)
        #expect(
            String(decoding: event.body, as: UTF8.self)
                == "permission denied: events_append: the event contains the value of secret API_KEY; "
                + "it was not appended")
        let value = try call(&calls, .kvSet, Array("token".utf8), Array("sk-live-123".utf8))
        #expect(value.status == 2)
        #expect(String(decoding: value.body, as: UTF8.self).contains("the value contains the value of secret API_KEY"))
        let key = try call(&calls, .kvSet, Array("k-sk-live-123".utf8), Array("x".utf8))
        #expect(key.status == 2)
        #expect(String(decoding: key.body, as: UTF8.self).contains("the key contains the value of secret API_KEY"))
        #expect(host.events.isEmpty)
        #expect(host.values.isEmpty)

        let clean = try call(&calls, .eventsAppend, Array(#"{"type":"ok"}"#.utf8))
        #expect(clean.status == 0 && host.events.count == 1)
    }

    @Test("a key that is not UTF-8 is refused, not stored under replacement characters")
    func keysMustBeUTF8() throws {
        let host = InMemoryPluginHost()
        var calls = WorkerHostCalls(host: host, grants: [.kv])
        let reply = try call(&calls, .kvSet, [0x6B, 0xFF], Array("x".utf8))
        #expect(reply.status == 2)
        #expect(String(decoding: reply.body, as: UTF8.self) == "kv_set key is not UTF-8")
        #expect(host.values.isEmpty)
    }

    @Test("a call without its capability, or a secret not granted by name, is refused")
    func capabilitiesAreCheckedAgain() throws {
        let host = InMemoryPluginHost(secrets: ["API_KEY": "k", "OTHER": "o"])
        var calls = WorkerHostCalls(host: host, grants: [.secretsRead("API_KEY")])
        let append = try call(&calls, .eventsAppend, Array(#"{"type":"x"}"#.utf8))
        #expect(append.status == 2 && String(decoding: append.body, as: UTF8.self).hasPrefix("permission denied: "))
        let other = try call(&calls, .secretGet, Array("OTHER".utf8))
        #expect(other.status == 2 && String(decoding: other.body, as: UTF8.self).hasPrefix("permission denied: "))
        #expect(calls.secretsGiven.isEmpty)
    }
}
