import Testing

@testable import AnnalsSandbox

/// A secret's value is found in a plugin's output however its JSON spells it.
@Suite struct SecretScanTests {
    @Test(arguments: [
        #"{"v":"sk-SUPERSECRET-123"}"#, #"{"v":"\u0073k-SUPERSECRET-123"}"#, #"{"v":"sk\u002dSUPERSECRET\u002d123"}"#,
        #"{"sk-SUPERSECRET-123":1}"#, #"["x","\u0073\u006b-SUPERSECRET-123 and more"]"#,
    ])
    func findsTheValueRawOrEscaped(_ output: String) {
        #expect(SecretScan.occurs("sk-SUPERSECRET-123", in: Array(output.utf8)), "\(output)")
    }

    @Test func decodesEveryEscapeAndSurrogatePairs() {
        #expect(SecretScan.occurs("a/b\"c\\d\n", in: Array(#"["a\/b\"c\\d\n"]"#.utf8)))
        #expect(SecretScan.occurs("x😀y", in: Array(#"{"k":"x\ud83d\ude00y"}"#.utf8)))
        #expect(!SecretScan.occurs("sk-SUPERSECRET-123", in: Array(#"{"v":"sk-SUPERSECRET-12"}"#.utf8)))
        #expect(!SecretScan.occurs("", in: Array(#"{"v":""}"#.utf8)))
        // Not JSON at all, or cut short: still scanned as far as it goes.
        #expect(SecretScan.occurs("secret", in: Array(#""\u0073ecret"#.utf8)))
    }
}
