import Foundation

/// Damages LMDB's free-page database (`FREE_DBI`) in a data file, for tests of what refuses and what repairs it.
///
/// The offsets are LMDB's on-disk layout on 64-bit Linux (lmdb.h, `MDB_meta` and `MDB_db`): a meta page's `mm_txnid`
/// at byte 144, its free-page database record at byte 40, whose `md_depth` is at +6, `md_entries` at +32 and
/// `md_root` at +40; a page's first node offset at byte 16; a node's flags at +4, its data after an 8-byte header and
/// the key (an 8-byte transaction id here).
public enum FreePageListDamage {
    /// Why a file cannot be damaged this way.
    public struct Unexpected: Error, CustomStringConvertible {
        /// What the file holds instead.
        public let description: String
    }

    /// Adds `delta` to the count of the first list of the free-page database: by default it then counts one page
    /// more than it holds (damage); with −1, one fewer than it has room for, as LMDB leaves a reserved record (sound).
    /// The database must be a single leaf (small files) whose first list is stored inline.
    public static func damageFirstList(dataFile path: String, pageSize: Int, countDelta delta: Int = 1) throws {
        let file = URL(fileURLWithPath: path)
        var data = [UInt8](try Data(contentsOf: file))
        func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
            data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        }
        // The meta page of the last transaction, then the free-page database's record in it.
        let meta = load(pageSize + 144, as: UInt64.self) > load(144, as: UInt64.self) ? pageSize : 0
        let record = meta + 40
        let (depth, entries) = (load(record + 6, as: UInt16.self), load(record + 32, as: UInt64.self))
        guard depth == 1, entries >= 1 else {
            throw Unexpected(description: "a free-page database of depth \(depth) with \(entries) lists, not one leaf")
        }
        let page = Int(load(record + 40, as: UInt64.self)) * pageSize
        let node = page + Int(load(page + 16, as: UInt16.self))
        guard load(node + 4, as: UInt16.self) & 0x01 == 0 else {
            throw Unexpected(description: "the first list is stored in overflow pages, not inline")
        }
        let count = Int(load(node + 16, as: UInt64.self))
        guard count + delta >= 0 else { throw Unexpected(description: "a first list of \(count) pages") }
        withUnsafeBytes(of: UInt64(count + delta).littleEndian) {
            data.replaceSubrange(node + 16..<node + 24, with: $0)
        }
        try Data(data).write(to: file)
    }
}
