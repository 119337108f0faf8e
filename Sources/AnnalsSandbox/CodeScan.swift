import WasmParser

/// What a module's function bodies would cost to validate, translate and call, checked before the module is
/// parsed for good: how many locals each function declares, how deep its blocks nest, how high its operand stack
/// grows, and how much of those stacks WasmKit's translator scans.
///
/// Validation keeps a frame for every open block, so ten million nested `block`s in a 30 MB module would take
/// gigabytes of the host's memory. Translation walks the whole operand stack at each `local.set`, `local.tee` and
/// block (``PluginModuleLimits/maxOperandStackScan``), so a few thousand values kept on the stack under a hundred
/// thousand `local.set`s would keep the host busy for minutes, before any execution is recorded and again, outside
/// fuel metering, in each execution that calls the function. Every call initializes every local, which no fuel
/// pays for either.
///
/// The scan decodes each function body one instruction at a time, keeping a counter and a frame per open block: it
/// allocates nothing per instruction beyond what one instruction's immediates need, and takes time in proportion to
/// the module's size.
enum CodeScan {
    /// Checks every function body of `bytes` against `limits`.
    /// - Throws: ``PluginModuleError/Reason/tooLarge`` naming the first function past a limit and by how much,
    ///   ``PluginModuleError/Reason/malformed`` when a body cannot be decoded.
    static func check(_ bytes: [UInt8], limits: PluginModuleLimits) throws(PluginModuleError) {
        var parser = Parser(bytes: bytes)
        var signatures = ModuleSignatures()
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let bodies) = payload else {
                    signatures.note(payload)
                    continue
                }
                var scanned = 0
                for (index, body) in bodies.enumerated() {
                    let function = "function \(signatures.importedFunctions + index) (code body \(index))"
                    guard body.locals.count <= limits.maxFunctionLocals else {
                        throw PluginModuleError(
                            .tooLarge,
                            "\(function) declares \(body.locals.count) local variables, more than the limit of "
                                + "\(limits.maxFunctionLocals) per function")
                    }
                    let visitor = try scan(body, index: index, signatures: signatures, limits: limits)
                    if let offset = visitor.firstOffsetPastLimit {
                        throw PluginModuleError(
                            .tooLarge,
                            "\(function) holds up to \(visitor.maximumHeight) values on its operand stack, more than "
                                + "the limit of \(limits.maxOperandStackHeight) (first at byte \(offset) of the module)"
                        )
                    }
                    scanned = scanned.addingReportingOverflow(visitor.scanned).partialValue
                    guard scanned <= limits.maxOperandStackScan else {
                        throw PluginModuleError(
                            .tooLarge,
                            "\(function) makes translation scan \(visitor.scanned) operand stack values, bringing "
                                + "the module to \(scanned), more than the limit of \(limits.maxOperandStackScan)")
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

    /// Follows the operand stack of `body`, the code section's body `index`.
    private static func scan(
        _ body: Code, index: Int, signatures: ModuleSignatures, limits: PluginModuleLimits
    ) throws -> OperandStackVisitor {
        var visitor = OperandStackVisitor(
            signatures: signatures, body: index, nestingLimit: limits.maxNestingDepth,
            heightLimit: limits.maxOperandStackHeight,
            // WasmKit counts the clauses to unwind in 16 bits, whatever the limit says.
            catchLimits: (limits.maxCatchClauses, min(limits.maxOpenCatchClauses, Int(UInt16.max))))
        var expression = ExpressionParser(code: body)
        while let instruction = try expression.parse() {
            try instruction(visitor: &visitor)
        }
        return visitor
    }
}
