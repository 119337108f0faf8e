import LMDB

/// The merged part of one secondary index: posting lists of offsets per symbol, in blocks (see ``PostingBlock``).
///
/// It covers the log up to the merge point (``IndexKind``, ``DeltaLog``); later events are in the delta log.
struct PostingIndex: Sendable {
    /// The index's LMDB database.
    let database: Database

    /// The last block of `symbol`, if any.
    func lastBlock(_ txn: borrowing Transaction, symbol: [UInt8]) throws -> PostingBlock? {
        try txn.withCursor(database) { cursor in
            var seek = symbol
            seek.append(0)
            seek.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
            let entry: Cursor.Entry?
            if try cursor.seek(.setRange, to: seek) != nil {
                entry = try cursor.get(.previous)
            } else {
                entry = try cursor.get(.last)
            }
            guard let entry, let first = PostingBlock.firstOffset(ofKey: entry.key, symbol: symbol) else { return nil }
            return try PostingBlock(firstOffset: first, stored: entry.value)
        }
    }

    /// How many merged entries `symbol` has.
    func count(_ txn: borrowing Transaction, symbol: [UInt8]) throws -> UInt64 {
        guard let block = try lastBlock(txn, symbol: symbol) else { return 0 }
        return block.nextRank - 1
    }

    /// Appends `offsets` (ascending, all above the list's last) to the list of `symbol`.
    func append(_ txn: borrowing Transaction, symbol: [UInt8], offsets: [UInt64]) throws {
        guard let first = offsets.first else { return }
        var block = try lastBlock(txn, symbol: symbol) ?? PostingBlock(firstOffset: first, rank: 1)
        if block.isFull { block = PostingBlock(firstOffset: first, rank: block.nextRank) }
        for offset in offsets {
            if block.isFull {
                try store(txn, symbol: symbol, block: block)
                block = PostingBlock(firstOffset: offset, rank: block.nextRank)
            }
            block.append(offset)
        }
        try store(txn, symbol: symbol, block: block)
    }

    private func store(_ txn: borrowing Transaction, symbol: [UInt8], block: PostingBlock) throws {
        try txn.put(
            database, key: PostingBlock.key(symbol: symbol, firstOffset: block.firstOffset), value: block.stored)
    }

    /// Up to `limit` merged offsets of `symbol` above `after`, ascending.
    func offsets(_ txn: borrowing Transaction, symbol: [UInt8], after: UInt64, limit: Int) throws -> [UInt64] {
        try txn.withCursor(database) { cursor in
            var out: [UInt64] = []
            // Start at the block with the greatest first offset <= after + 1, else at the symbol's first block.
            let target = PostingBlock.key(symbol: symbol, firstOffset: after &+ 1)
            var entry = try cursor.seek(.setRange, to: target)
            let exact = entry.flatMap { PostingBlock.firstOffset(ofKey: $0.key, symbol: symbol) } == after &+ 1
            if !exact {
                let back = entry == nil ? try cursor.get(.last) : try cursor.get(.previous)
                if let back, PostingBlock.firstOffset(ofKey: back.key, symbol: symbol) != nil {
                    entry = back
                } else {
                    entry = try cursor.seek(.setRange, to: target)
                }
            }
            while let current = entry, out.count < limit,
                let first = PostingBlock.firstOffset(ofKey: current.key, symbol: symbol)
            {
                // Decoded even when its header says it ends before `after`: only the first block can, and decoding
                // checks that header (a damaged one would otherwise drop the block's entries without a word).
                for offset in try PostingBlock.offsets(firstOffset: first, stored: current.value) where offset > after {
                    out.append(offset)
                    if out.count == limit { break }
                }
                entry = try cursor.get(.next)
            }
            return out
        }
    }

    /// Up to `limit` merged offsets of `symbol` below `before`, descending.
    func offsets(_ txn: borrowing Transaction, symbol: [UInt8], before: UInt64, limit: Int) throws -> [UInt64] {
        try txn.withCursor(database) { cursor in
            var out: [UInt64] = []
            guard before > 0 else { return out }
            var entry = try cursor.seek(.setRange, to: PostingBlock.key(symbol: symbol, firstOffset: before))
            entry = entry == nil ? try cursor.get(.last) : try cursor.get(.previous)
            while let current = entry, out.count < limit,
                let first = PostingBlock.firstOffset(ofKey: current.key, symbol: symbol)
            {
                for offset in try PostingBlock.offsets(firstOffset: first, stored: current.value).reversed()
                where offset < before {
                    out.append(offset)
                    if out.count == limit { break }
                }
                entry = try cursor.get(.previous)
            }
            return out
        }
    }

    /// The offset of the merged entry with rank `rank` (from 1), or `nil` past the merged end.
    func offset(_ txn: borrowing Transaction, symbol: [UInt8], rank: UInt64) throws -> UInt64? {
        try txn.withCursor(database) { cursor in
            var entry = try cursor.seek(.setRange, to: PostingBlock.key(symbol: symbol, firstOffset: 0))
            while let current = entry, let first = PostingBlock.firstOffset(ofKey: current.key, symbol: symbol) {
                try PostingBlock.checkHeader(current.value)
                let blockRank = UInt64(bigEndianBytes: current.value, at: 0)
                let count = UInt64(UInt32(bigEndianBytes: current.value, at: 8))
                if rank < blockRank + count {
                    guard rank >= blockRank else { return nil }
                    return try PostingBlock.offsets(firstOffset: first, stored: current.value)[Int(rank - blockRank)]
                }
                entry = try cursor.get(.next)
            }
            return nil
        }
    }

    /// Every symbol with its merged entry count, in key order.
    func symbolCounts(_ txn: borrowing Transaction) throws -> [[UInt8]: UInt64] {
        try txn.withCursor(database) { cursor in
            var out: [[UInt8]: UInt64] = [:]
            var entry = try cursor.get(.first)
            while let current = entry {
                guard current.key.count > 9 else {
                    entry = try cursor.get(.next)
                    continue
                }
                let symbol = Array(current.key.prefix(current.key.count - 9))
                var last = current
                // Skip to the symbol's last block: seek past it and step back.
                var seek = symbol
                seek.append(0)
                seek.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
                if try cursor.seek(.setRange, to: seek) != nil {
                    last = try cursor.get(.previous) ?? current
                    entry = try cursor.get(.next)
                } else {
                    last = try cursor.get(.last) ?? current
                    entry = nil
                }
                try PostingBlock.checkHeader(last.value)
                let rank = UInt64(bigEndianBytes: last.value, at: 0)
                let count = UInt64(UInt32(bigEndianBytes: last.value, at: 8))
                out[symbol] = rank + count - 1
            }
            return out
        }
    }
}
