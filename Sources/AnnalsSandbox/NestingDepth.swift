import WasmParser

/// How deep a module's functions nest their blocks, loops, ifs and `try` blocks, checked before the module is
/// validated: validation keeps a frame for every open block, so ten million nested `block`s in a 30 MB module would
/// take gigabytes of the host's memory.
///
/// The scan decodes each function body one instruction at a time, keeping only a counter: it allocates nothing per
/// instruction beyond what one instruction's immediates need.
enum NestingDepth {
    /// Checks every function body of `bytes` against `limit`.
    /// - Throws: ``PluginModuleError/Reason/tooLarge`` naming the first function that nests deeper than `limit`,
    ///   ``PluginModuleError/Reason/malformed`` when a body cannot be decoded.
    static func check(_ bytes: [UInt8], limit: Int) throws(PluginModuleError) {
        var parser = Parser(bytes: bytes)
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let bodies) = payload else { continue }
                for (index, body) in bodies.enumerated() {
                    var visitor = DepthVisitor(limit: limit, body: index)
                    var expression = ExpressionParser(code: body)
                    while let instruction = try expression.parse() {
                        try instruction(visitor: &visitor)
                    }
                }
                return
            }
        } catch let refusal as PluginModuleError {
            throw refusal
        } catch {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: \(error)")
        }
    }
}

/// Counts the blocks open at each instruction of one function body.
private struct DepthVisitor: InstructionVisitor {
    typealias VisitorError = PluginModuleError

    let limit: Int
    /// The body's index in the code section, for the message.
    let body: Int
    var binaryOffset = 0
    private var depth = 0

    init(limit: Int, body: Int) {
        self.limit = limit
        self.body = body
    }

    private mutating func open() throws(PluginModuleError) {
        depth += 1
        guard depth <= limit else {
            throw PluginModuleError(
                .tooLarge,
                "function body \(body) nests blocks more than \(limit) deep (at byte \(binaryOffset) of the module)")
        }
    }

    mutating func visitBlock(blockType: BlockType) throws(PluginModuleError) { try open() }
    mutating func visitLoop(blockType: BlockType) throws(PluginModuleError) { try open() }
    mutating func visitIf(blockType: BlockType) throws(PluginModuleError) { try open() }
    mutating func visitTryTable(blockType: BlockType, tryCatch: TryCatch) throws(PluginModuleError) { try open() }
    mutating func visitEnd() throws(PluginModuleError) { depth -= 1 }
}
