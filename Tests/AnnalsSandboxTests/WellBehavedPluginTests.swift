import AnnalsSandbox
import Testing

@Suite("Well-behaved plugins")
struct WellBehavedPluginTests {
    let sandbox = Sandbox()

    @Test("price-quote answers from its table, and an unknown symbol is an error object")
    func priceQuote() throws {
        let module = try Plugins.load("price-quote")
        #expect(module.actions == ["quote"])
        #expect(module.hostImports.isEmpty)
        let host = InMemoryPluginHost()
        let quote = try sandbox.invoke(
            module: module, action: "quote", input: bytes(#"{"symbol":"BTC","amount":2}"#), host: host)
        #expect(quote.outputText == #"{"symbol":"BTC","amount":2,"price":65000.00,"total":130000.00}"#)
        #expect(quote.fuelUsed > 0)
        #expect(quote.peakMemoryBytes >= 65_536)
        let again = try sandbox.invoke(
            module: module, action: "quote", input: bytes(#"{"symbol":"BTC","amount":2}"#), host: host)
        #expect(again.fuelUsed == quote.fuelUsed, "fuel is deterministic")

        let unknown = try sandbox.invoke(
            module: module, action: "quote", input: bytes(#"{"symbol":"XYZ","amount":1}"#), host: host)
        #expect(unknown.outputText == #"{"error":"unknown symbol","symbol":"XYZ"}"#)
    }

    @Test("event-counter counts events per type in its kv state")
    func eventCounter() throws {
        let module = try Plugins.load("event-counter")
        #expect(module.requiredCapabilities == [.kv])
        let host = InMemoryPluginHost()
        var outputs: [String] = []
        for type in ["order.placed", "order.placed", "order.shipped", "order.placed"] {
            let result = try sandbox.invoke(
                module: module, action: "on_event", input: bytes(#"{"type":"\#(type)","data":{}}"#), grants: [.kv],
                host: host)
            outputs.append(result.outputText)
        }
        #expect(
            outputs == [
                #"{"type":"order.placed","count":1}"#, #"{"type":"order.placed","count":2}"#,
                #"{"type":"order.shipped","count":1}"#, #"{"type":"order.placed","count":3}"#,
            ])
        #expect(host.values["count:order.placed"] == bytes("3"))
    }

    @Test("event-log appends and reads events through the host")
    func eventLog() throws {
        let module = try Plugins.load("event-log")
        let host = InMemoryPluginHost()
        let grants: Set<Capability> = [.eventsRead, .eventsAppend]
        let appended = try sandbox.invoke(
            module: module, action: "emit", input: bytes(#"{"type":"note","text":"hi"}"#), grants: grants, host: host)
        #expect(appended.outputText == #"{"offset":1}"#)
        let read = try sandbox.invoke(module: module, action: "recent", input: bytes("{}"), grants: grants, host: host)
        #expect(read.outputText == #"[{"type":"note","text":"hi"}]"#)
    }

    @Test("an event that is not JSON is refused as invalid output")
    func appendNotJSON() throws {
        let module = try Plugins.load("event-log")
        let host = InMemoryPluginHost()
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "emit", input: bytes("not json"), grants: [.eventsRead, .eventsAppend],
                host: host)
        }
        #expect(stopped?.kind == .invalidOutput)
        #expect(host.events.isEmpty)
    }
}
