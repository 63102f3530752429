import NIOPosix
import SQLKit
import SQLiteNIO
import Synchronization

/// Fathom's SQLite reader connections and the threads their statements run on. A statement takes whichever reader
/// is free, runs to its end on one of the pool's threads (it may wait on a lock or walk millions of rows: never on
/// Swift's cooperative threads) and resumes its caller once, with no event loop in between.
final class SQLiteReaderPool: Sendable {
    /// A reader behind its lock; nil once closed.
    private final class Slot: Sendable {
        let reader: Mutex<SQLiteReader?>
        init(_ reader: sending SQLiteReader) { self.reader = Mutex(reader) }
    }

    private let slots: [Slot]
    private let threadPool: NIOThreadPool
    private let next = Atomic<UInt>(0)

    /// Statements each reader keeps prepared. Fathom's read paths use a few dozen distinct SQL texts; the bound
    /// keeps texts that vary with their input (an `IN` list of every length) from growing it without end.
    static let statementsPerReader = 128

    /// Opens `count` readers of `path`; statements run on `threadPool`, which should have `count` threads so a
    /// statement always finds a free reader.
    static func open(path: String, count: Int, mapBytes: Int, threadPool: NIOThreadPool) async throws -> SQLiteReaderPool {
        let slots = try await threadPool.runIfActive {
            try (0..<count).map { _ in
                Slot(try SQLiteReader(path: path, mapBytes: mapBytes, cacheCapacity: Self.statementsPerReader))
            }
        }
        return SQLiteReaderPool(slots: slots, threadPool: threadPool)
    }

    private init(slots: [Slot], threadPool: NIOThreadPool) {
        self.slots = slots
        self.threadPool = threadPool
    }

    /// Runs one statement; `onRow` is called on the pool's thread for each row, as SQLite steps to it.
    func run(_ sql: String, _ binds: [SQLiteData], _ onRow: @escaping @Sendable (SQLiteReaderRow) -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            threadPool.submit { state in
                guard case .active = state else { return continuation.resume(throwing: SQLiteReaderError.closed) }
                continuation.resume(with: Result { try self.withFreeReader { try $0.run(sql, binds, onRow) } })
            }
        }
    }

    /// Runs `body` with the first reader no other thread holds, starting from a rotating one; if all are taken,
    /// waits for that one.
    private func withFreeReader(_ body: (SQLiteReader) throws -> Void) throws {
        let start = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(slots.count))
        for offset in 0..<slots.count {
            let done = try slots[(start + offset) % slots.count].reader.withLockIfAvailable { reader throws in
                guard let reader else { throw SQLiteReaderError.closed }
                try body(reader)
            }
            if done != nil { return }
        }
        try slots[start].reader.withLock { reader throws in
            guard let reader else { throw SQLiteReaderError.closed }
            try body(reader)
        }
    }

    /// Statements kept prepared by each reader (for tests).
    func cachedStatements() async throws -> [Int] {
        try await threadPool.runIfActive {
            self.slots.map { slot in slot.reader.withLock { $0?.cachedStatements ?? 0 } }
        }
    }

    /// Waits for running statements, finalizes every kept one and closes the connections.
    func close() async {
        try? await threadPool.runIfActive {
            for slot in self.slots {
                slot.reader.withLock { reader in
                    reader?.close()
                    reader = nil
                }
            }
        }
    }
}
