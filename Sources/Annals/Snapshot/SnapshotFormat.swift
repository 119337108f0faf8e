import CZstd

/// The stored form of a snapshot (docs/FORMAT.md, "Snapshots"): a header, a directory of the projections and
/// their tables, and one zstd frame per table. The header's CRC-32C covers the directory and every frame.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("ANSN".utf8)
    static let version: UInt8 = 2
    static let headerSize = 34

    /// Facts from a snapshot's header, without reading the rest.
    struct Header: Sendable, Equatable {
        var offset: UInt64
        var createdAt: Int64
        var bodyLength: UInt64
        var storedLength: Int
        var checksum: UInt32
    }

    /// One projection's tables in a snapshot.
    struct Projection {
        let name: String
        let version: Int
        let configuration: String
        let tables: [SnapshotTable]
    }

    /// Encodes the snapshot tables of `projections` (each read through its reader), one compressed frame per table.
    static func encode(
        _ projections: [(projection: any Annals.Projection, tables: any ProjectionReader)], offset: UInt64,
        createdAt: Int64, level: Int32
    ) throws -> [UInt8] {
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
                var entries = ByteWriter(capacity: 1 << 16)
                var count = 0
                try tables.scan(ProjectionTable(index), prefix: []) { key, value in
                    entries.lengthPrefixed(key)
                    entries.lengthPrefixed(value)
                    count += 1
                    return true
                }
                let frame = try compress(entries.bytes, level: level)
                directory.lengthPrefixed(Array(name.utf8))
                directory.varint(UInt64(count))
                directory.varint(UInt64(entries.bytes.count))
                directory.varint(UInt64(frame.count))
                frames.append(contentsOf: frame)
                bodyLength += UInt64(entries.bytes.count)
            }
        }
        var rest = directory.bytes
        rest.append(contentsOf: frames)
        var header = ByteWriter(capacity: headerSize + rest.count)
        header.raw(magic)
        header.u8(version)
        header.u8(1)
        header.raw(offset.bigEndianBytes)
        header.raw(UInt64(bitPattern: createdAt).bigEndianBytes)
        header.raw(bodyLength.bigEndianBytes)
        header.raw(CRC32C.checksum(rest).bigEndianBytes)
        header.raw(rest)
        return header.bytes
    }

    private static func compress(_ bytes: [UInt8], level: Int32) throws -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let size = frame.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { ZSTD_compress(out.baseAddress, out.count, $0.baseAddress, $0.count, level) }
        }
        if ZSTD_isError(size) != 0 {
            throw AnnalsError.compression("ZSTD_compress (snapshot): " + String(cString: ZSTD_getErrorName(size)))
        }
        frame.removeLast(frame.count - size)
        return frame
    }

    /// Reads a stored snapshot's header.
    static func header(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> Header {
        guard stored.count >= headerSize, stored[0..<4].elementsEqual(magic) else {
            throw .corruptSnapshot(offset: offset, reason: "the header is missing or does not start with ANSN")
        }
        guard stored[4] == version, stored[5] == 1 else {
            throw .corruptSnapshot(offset: offset, reason: "unknown format \(stored[4]) or codec \(stored[5])")
        }
        let header = Header(
            offset: UInt64(bigEndianBytes: stored, at: 6),
            createdAt: Int64(bitPattern: UInt64(bigEndianBytes: stored, at: 14)),
            bodyLength: UInt64(bigEndianBytes: stored, at: 22), storedLength: stored.count,
            checksum: UInt32(bigEndianBytes: stored, at: 30))
        guard header.offset == offset else {
            throw .corruptSnapshot(offset: offset, reason: "the header names offset \(header.offset)")
        }
        return header
    }

    /// Checks a stored snapshot (its CRC-32C over the directory and frames) and reads its directory; the frames are
    /// copied out, to be decompressed when a table is first used.
    static func projections(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> [Projection] {
        let header = try header(stored, key: offset)
        let rest = UnsafeRawBufferPointer(rebasing: stored[headerSize...])
        guard CRC32C.checksum(rest) == header.checksum else {
            throw .corruptSnapshot(offset: offset, reason: "the CRC-32C of the contents does not match the header")
        }
        var reader = ByteReader(rest)
        do {
            let count = try reader.varint()
            guard count <= 1024 else { throw SnapshotFormatError("it claims \(count) projections") }
            var directory: [(name: String, version: Int, configuration: String, tables: [(String, Int, Int, Int)])] =
                []
            for _ in 0..<count {
                let name = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let version = Int(truncatingIfNeeded: try reader.varint())
                let configuration = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let tableCount = try reader.varint()
                guard tableCount <= 1024 else { throw SnapshotFormatError("\(name) claims \(tableCount) tables") }
                var tables: [(String, Int, Int, Int)] = []
                for _ in 0..<tableCount {
                    let table = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                    let entries = try reader.varint()
                    let length = try reader.varint()
                    let compressed = try reader.varint()
                    guard entries <= length, length <= 1 << 40, compressed <= UInt64(rest.count) else {
                        throw SnapshotFormatError("table \(name).\(table) has implausible sizes")
                    }
                    tables.append((table, Int(entries), Int(length), Int(compressed)))
                }
                directory.append((name, version, configuration, tables))
            }
            var projections: [Projection] = []
            for entry in directory {
                var tables: [SnapshotTable] = []
                for (name, entries, length, compressed) in entry.tables {
                    tables.append(
                        SnapshotTable(
                            name: "\(entry.name).\(name)", entries: entries, frame: Array(try reader.bytes(compressed)),
                            uncompressedLength: length, snapshotOffset: offset))
                }
                projections.append(
                    Projection(
                        name: entry.name, version: entry.version, configuration: entry.configuration, tables: tables))
            }
            return projections
        } catch let error as SnapshotFormatError {
            throw .corruptSnapshot(offset: offset, reason: error.description)
        } catch {
            throw .corruptSnapshot(offset: offset, reason: "the directory or a frame is truncated")
        }
    }

    /// The table names of a snapshot's projection, for matching against the running code.
    static func tableNames(_ projection: Projection) -> [String] {
        projection.tables.map { String($0.name.dropFirst(projection.name.count + 1)) }
    }
}
