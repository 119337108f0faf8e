import CZstd

/// The stored form of a snapshot (docs/FORMAT.md, "Snapshots"): a header, a directory of the projections, their
/// tables and the tables' blocks, and one zstd frame per block. The header's first CRC-32C covers the directory and
/// every frame, its second the header itself (format 4). Formats 3 (no CRC-32C over the header) and 2 (one frame per
/// table as well) are still read.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("ANSN".utf8)
    static let version: UInt8 = 4
    /// The formats this code reads.
    static let readableVersions: ClosedRange<UInt8> = 2...4
    /// Blocks end after the first entry that brings them to this many uncompressed bytes.
    static let blockSize = 65_536

    /// The length of a header of `format`: 38 bytes from format 4 on (the header's own CRC-32C ends it), 34 before.
    static func headerSize(format: UInt8) -> Int { format >= 4 ? 38 : 34 }
    /// Facts from a snapshot's header, without reading the rest.
    struct Header: Sendable, Equatable {
        /// The format version (byte 4).
        var format: UInt8
        /// Where the directory starts: the header's length.
        var size: Int
        var offset: UInt64
        var createdAt: Int64
        var bodyLength: UInt64
        var storedLength: Int
        var checksum: UInt32
    }

    /// One projection's tables in a snapshot, as loaded: its directory entry and its tables with their frames.
    struct Projection {
        let entry: Directory.Entry
        let tables: [SnapshotTable]

        /// Whether these are the tables `projection` (this code's) would snapshot (``Directory/Entry/matches(_:)``).
        func matches(_ projection: any Annals.Projection) -> Bool { entry.matches(projection) }
    }

    /// Encodes the snapshot tables of `projections` (each read through its reader), one compressed frame per block.
    /// - Parameter format: 4, or an older format (3: no CRC-32C over the header; 2: one block per table, without
    ///   the block directory) to test that older snapshots are still read.
    static func encode(
        _ projections: [(projection: any Annals.Projection, tables: any ProjectionReader)], offset: UInt64,
        createdAt: Int64, level: Int32, format: UInt8 = version
    ) throws -> [UInt8] {
        let blockSize = format == 2 ? Int.max : Self.blockSize
        guard let context = ZSTD_createCCtx() else { throw AnnalsError.compression("ZSTD_createCCtx failed") }
        defer { ZSTD_freeCCtx(context) }
        var directory = ByteWriter(capacity: 4096)
        var frames: [UInt8] = []
        var bodyLength: UInt64 = 0
        directory.varint(UInt64(projections.count))
        for (projection, tables) in projections {
            directory.lengthPrefixed(Array(projection.name.utf8))
            directory.varint(UInt64(projection.version))
            directory.lengthPrefixed(Array(projection.configuration.utf8))
            let names = projection.snapshotTableNames
            directory.varint(UInt64(names.count))
            for name in names {
                guard let index = projection.tableNames.firstIndex(of: name) else {
                    throw AnnalsError.invalidArgument(
                        "projection '\(projection.name)' lists snapshot table '\(name)', which it does not have")
                }
                var blocks: [(firstKey: [UInt8], entries: Int, length: Int, frame: [UInt8])] = []
                var block = ByteWriter(capacity: Self.blockSize + 4096)
                var firstKey: [UInt8] = []
                var count = 0
                var total = 0
                func finishBlock() throws {
                    guard count > 0 else { return }
                    blocks.append(
                        (firstKey, count, block.bytes.count, try compress(block.bytes, level: level, context: context)))
                    block = ByteWriter(capacity: Self.blockSize + 4096)
                    count = 0
                }
                try tables.scan(ProjectionTable(index), prefix: []) { key, value in
                    if count == 0 { firstKey = Array(key) }
                    block.lengthPrefixed(key)
                    block.lengthPrefixed(value)
                    count += 1
                    total += 1
                    if block.bytes.count >= blockSize { try finishBlock() }
                    return true
                }
                try finishBlock()
                directory.lengthPrefixed(Array(name.utf8))
                if format == 2 {
                    let frame = try blocks.first?.frame ?? compress([], level: level, context: context)
                    directory.varint(UInt64(total))
                    directory.varint(UInt64(blocks.first?.length ?? 0))
                    directory.varint(UInt64(frame.count))
                    frames.append(contentsOf: frame)
                    bodyLength += UInt64(blocks.first?.length ?? 0)
                    continue
                }
                directory.varint(UInt64(total))
                directory.varint(UInt64(blocks.count))
                for block in blocks {
                    directory.lengthPrefixed(block.firstKey)
                    directory.varint(UInt64(block.entries))
                    directory.varint(UInt64(block.length))
                    directory.varint(UInt64(block.frame.count))
                    frames.append(contentsOf: block.frame)
                    bodyLength += UInt64(block.length)
                }
            }
        }
        var rest = directory.bytes
        rest.append(contentsOf: frames)
        var header = ByteWriter(capacity: headerSize(format: format) + rest.count)
        header.raw(magic)
        header.u8(format)
        header.u8(1)
        header.raw(offset.bigEndianBytes)
        header.raw(UInt64(bitPattern: createdAt).bigEndianBytes)
        header.raw(bodyLength.bigEndianBytes)
        header.raw(CRC32C.checksum(rest).bigEndianBytes)
        if format >= 4 { header.raw(CRC32C.checksum(header.bytes).bigEndianBytes) }
        header.raw(rest)
        return header.bytes
    }

    private static func compress(_ bytes: [UInt8], level: Int32, context: OpaquePointer?) throws -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let size = frame.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes {
                ZSTD_compressCCtx(context, out.baseAddress, out.count, $0.baseAddress, $0.count, level)
            }
        }
        if ZSTD_isError(size) != 0 {
            throw AnnalsError.compression("ZSTD_compress (snapshot): " + String(cString: ZSTD_getErrorName(size)))
        }
        frame.removeLast(frame.count - size)
        return frame
    }

    /// Reads a stored snapshot's header; from format 4 on, checks it against its own CRC-32C first, so that its
    /// creation time, body length and contents' checksum can be trusted (older formats' cannot be checked).
    static func header(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> Header {
        guard stored.count >= 6, stored[0..<4].elementsEqual(magic) else {
            throw .corruptSnapshot(offset: offset, reason: "the header is missing or does not start with ANSN")
        }
        let format = stored[4]
        guard readableVersions.contains(format), stored[5] == 1 else {
            throw .corruptSnapshot(offset: offset, reason: "unknown format \(format) or codec \(stored[5])")
        }
        let size = headerSize(format: format)
        guard stored.count >= size else {
            throw .corruptSnapshot(offset: offset, reason: "the header of format \(format) is cut short")
        }
        if format >= 4 {
            let covered = UnsafeRawBufferPointer(rebasing: stored[0..<(size - 4)])
            guard CRC32C.checksum(covered) == UInt32(bigEndianBytes: stored, at: size - 4) else {
                throw .corruptSnapshot(
                    offset: offset,
                    reason: "the CRC-32C of the header does not match: its offset, creation time, body length or "
                        + "checksum is damaged")
            }
        }
        let header = Header(
            format: format, size: size, offset: UInt64(bigEndianBytes: stored, at: 6),
            createdAt: Int64(bitPattern: UInt64(bigEndianBytes: stored, at: 14)),
            bodyLength: UInt64(bigEndianBytes: stored, at: 22), storedLength: stored.count,
            checksum: UInt32(bigEndianBytes: stored, at: 30))
        guard header.offset == offset else {
            throw .corruptSnapshot(offset: offset, reason: "the header names offset \(header.offset)")
        }
        return header
    }

    /// Reads a stored snapshot's header and checks the CRC-32C of its contents (the directory and frames), without
    /// copying or decompressing anything.
    static func checkedHeader(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> Header {
        let header = try header(stored, key: offset)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: stored[header.size...])) == header.checksum else {
            throw .corruptSnapshot(offset: offset, reason: "the CRC-32C of the contents does not match the header")
        }
        return header
    }

    /// A snapshot's directory, read and checked, without its frames: what a listing checks, and what loading a
    /// snapshot builds its tables from.
    struct Directory {
        /// One table: its entries, its blocks and how many bytes of frames follow for it.
        struct Table {
            let name: String
            let entries: Int
            let blocks: [SnapshotTable.Block]
            let frameBytes: Int
        }

        /// One projection's part: its name, version, configuration and tables.
        struct Entry {
            let name: String
            let version: Int
            let configuration: String
            let tables: [Table]

            /// Whether these are the tables `projection` (this code's) would snapshot: same name, version,
            /// configuration and tables. Reads use only such a snapshot.
            func matches(_ projection: any Annals.Projection) -> Bool {
                name == projection.name && version == projection.version
                    && configuration == projection.configuration && tables.map(\.name) == projection.snapshotTableNames
            }
        }

        let entries: [Entry]
        /// Where the frames start in the stored snapshot.
        let framesStart: Int

        /// Whether reads could take `projection`'s tables from this snapshot: one of its entries matches it.
        func holds(_ projection: any Annals.Projection) -> Bool {
            entries.contains { $0.matches(projection) }
        }

        /// Whether reads could take the tables of every one of `projections` from this snapshot.
        func holdsAll(_ projections: [any Annals.Projection]) -> Bool {
            projections.allSatisfy(holds)
        }
    }

    /// Checks a stored snapshot (its header and the CRC-32C of its contents) and reads its directory, without
    /// copying or decompressing any frame: the checks time travel makes when it loads one, short of decompressing.
    ///
    /// The header's body length must be the tables' uncompressed total (the one check of it in formats 2 and 3, whose
    /// header no CRC-32C covers), and the frames the directory lists must be there. Without `checkingContents`, the
    /// contents' CRC-32C is not computed: the directory alone is read, for a decision (which projections a snapshot
    /// holds) that a write transaction makes without reading gigabytes.
    static func directory(
        _ stored: UnsafeRawBufferPointer, key offset: UInt64, checkingContents: Bool = true
    ) throws(AnnalsError) -> Directory {
        let header = try checkingContents ? checkedHeader(stored, key: offset) : self.header(stored, key: offset)
        let rest = UnsafeRawBufferPointer(rebasing: stored[header.size...])
        var reader = ByteReader(rest)
        do {
            let count = try reader.varint()
            guard count <= 1024 else { throw SnapshotFormatError("it claims \(count) projections") }
            var entries: [Directory.Entry] = []
            for _ in 0..<count {
                let name = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let version = Int(truncatingIfNeeded: try reader.varint())
                let configuration = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let tableCount = try reader.varint()
                guard tableCount <= 1024 else { throw SnapshotFormatError("\(name) claims \(tableCount) tables") }
                var tables: [Directory.Table] = []
                for _ in 0..<tableCount {
                    let table = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                    let (entries, blocks, frameBytes) =
                        header.format == 2
                        ? try formatTwoBlock(&reader, table: "\(name).\(table)", limit: rest.count)
                        : try blockDirectory(&reader, table: "\(name).\(table)", limit: rest.count)
                    tables.append(
                        Directory.Table(name: table, entries: entries, blocks: blocks, frameBytes: frameBytes))
                }
                entries.append(
                    Directory.Entry(name: name, version: version, configuration: configuration, tables: tables))
            }
            // Every format records the tables' uncompressed total (format 2 has one block per non-empty table).
            let tables = entries.lazy.flatMap(\.tables)
            let total = tables.flatMap(\.blocks).reduce(UInt64(0)) { $0 &+ UInt64($1.uncompressedLength) }
            guard total == header.bodyLength else {
                throw SnapshotFormatError(
                    "the header gives a body of \(header.bodyLength) bytes, but its tables hold \(total)")
            }
            var frameBytes = 0
            for table in tables {
                // Compared with what is left, so that the sum cannot overflow.
                guard table.frameBytes <= reader.remaining - frameBytes else {
                    throw SnapshotFormatError("the directory or a frame is truncated")
                }
                frameBytes += table.frameBytes
            }
            return Directory(entries: entries, framesStart: header.size + reader.position)
        } catch let error as SnapshotFormatError {
            throw .corruptSnapshot(offset: offset, reason: error.description)
        } catch {
            throw .corruptSnapshot(offset: offset, reason: "the directory or a frame is truncated")
        }
    }

    /// Checks a stored snapshot and reads its directory (``directory(_:key:)``); the frames are copied out, to be
    /// decompressed when a table is first used.
    static func projections(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> [Projection] {
        let directory = try directory(stored, key: offset)
        var position = directory.framesStart
        return directory.entries.map { entry in
            let tables = entry.tables.map { table in
                let frames = Array(stored[position..<(position + table.frameBytes)])
                position += table.frameBytes
                return SnapshotTable(
                    name: "\(entry.name).\(table.name)", entries: table.entries, frames: frames, blocks: table.blocks,
                    snapshotOffset: offset)
            }
            return Projection(entry: entry, tables: tables)
        }
    }

    /// Reads a format 3 table's block directory: the entry count, the block count, and per block its first key,
    /// entry count, uncompressed and compressed lengths.
    private static func blockDirectory(
        _ reader: inout ByteReader, table: String, limit: Int
    ) throws -> (entries: Int, blocks: [SnapshotTable.Block], frameBytes: Int) {
        let entries = try reader.varint()
        let count = try reader.varint()
        guard entries <= UInt64(limit) * 8, count <= entries else {
            throw SnapshotFormatError("table \(table) has implausible sizes")
        }
        var blocks: [SnapshotTable.Block] = []
        var frameEnd = 0
        var counted: UInt64 = 0
        for _ in 0..<count {
            let firstKey = Array(try reader.lengthPrefixed())
            let blockEntries = try reader.varint()
            let length = try reader.varint()
            let compressed = try reader.varint()
            guard blockEntries <= length, length <= 1 << 40, compressed <= UInt64(limit - frameEnd) else {
                throw SnapshotFormatError("table \(table) has a block with implausible sizes")
            }
            blocks.append(
                SnapshotTable.Block(
                    firstKey: firstKey, entries: Int(blockEntries), uncompressedLength: Int(length),
                    frame: frameEnd..<(frameEnd + Int(compressed))))
            frameEnd += Int(compressed)
            counted += blockEntries
        }
        guard counted == entries else { throw SnapshotFormatError("table \(table) has blocks that do not add up") }
        return (Int(entries), blocks, frameEnd)
    }

    /// Reads a format 2 table's sizes (entry count, uncompressed and compressed lengths): one block.
    private static func formatTwoBlock(
        _ reader: inout ByteReader, table: String, limit: Int
    ) throws -> (entries: Int, blocks: [SnapshotTable.Block], frameBytes: Int) {
        let entries = try reader.varint()
        let length = try reader.varint()
        let compressed = try reader.varint()
        guard entries <= length, length <= 1 << 40, compressed <= UInt64(limit) else {
            throw SnapshotFormatError("table \(table) has implausible sizes")
        }
        guard entries > 0 else { return (0, [], Int(compressed)) }
        let block = SnapshotTable.Block(
            firstKey: [], entries: Int(entries), uncompressedLength: Int(length), frame: 0..<Int(compressed))
        return (Int(entries), [block], Int(compressed))
    }
}
