import NIOPosix
import SQLKit
import SQLiteNIO
import Synchronization

/// Fathom's SQLite reader connections and the threads their statements run on. A statement runs to its end on one of
/// the pool's threads (it may wait on a lock or walk millions of rows: never on Swift's cooperative threads) and
/// resumes its caller once, with no event loop in between.
final class SQLiteReaderPool: Sendable {
    /// The reader one `Store.read` body uses. Its first statement takes whichever reader is free; the rest follow it
    /// to the same connection, as with SQLiteNIO's readers: what a statement sets on its connection (a `PRAGMA`) is
    /// seen by the next statement of the body.
    final class Pin: Sendable {
        fileprivate let index = Atomic<Int>(-1)
        init() {}
    }

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

    /// Runs one statement on `pin`'s reader; `onRow` is called on the pool's thread for each row, as SQLite steps
    /// to it.
    func run(
        _ sql: String, _ binds: [SQLiteData], pin: Pin, _ onRow: @escaping @Sendable (SQLiteReaderRow) -> Void
    ) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            threadPool.submit { state in
                guard case .active = state else { return continuation.resume(throwing: SQLiteReaderError.closed) }
                continuation.resume(with: Result { try self.withReader(pin) { try $0.run(sql, binds, onRow) } })
            }
        }
    }

    /// Runs `body` with `pin`'s reader, waiting for it if another thread holds it. An unpinned body takes the first
    /// reader no other thread holds, starting from a rotating one (if all are taken, waits for that one).
    private func withReader(_ pin: Pin, _ body: (SQLiteReader) throws -> Void) throws {
        let pinned = pin.index.load(ordering: .acquiring)
        if pinned >= 0 {
            try run(body, on: pinned, pin: nil)
            return
        }
        let start = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(slots.count))
        for offset in 0..<slots.count {
            let index = (start + offset) % slots.count
            if try run(body, on: index, pin: pin, waiting: false) { return }
        }
        try run(body, on: start, pin: pin)
    }

    /// Runs `body` on reader `index` (pinning `pin` to it first); false if not `waiting` and another thread holds it.
    @discardableResult
    private func run(_ body: (SQLiteReader) throws -> Void, on index: Int, pin: Pin?, waiting: Bool = true) throws -> Bool {
        // Two statements of one body started side by side may both find no pin: the first to set it wins.
        let claim = { _ = pin?.index.compareExchange(expected: -1, desired: index, ordering: .acquiringAndReleasing) }
        if waiting {
            try slots[index].reader.withLock { reader throws in
                guard let reader else { throw SQLiteReaderError.closed }
                claim()
                try body(reader)
            }
            return true
        }
        let ran: Void? = try slots[index].reader.withLockIfAvailable { reader throws in
            guard let reader else { throw SQLiteReaderError.closed }
            claim()
            try body(reader)
        }
        return ran != nil
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
