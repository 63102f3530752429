import Foundation
import Logging
import SQLKit
import Synchronization

/// Fathom's own database: one SQL path (SQLKit) over embedded SQLite or a PostgreSQL server.
public final class Store: Sendable {
    public enum Backend: String, Sendable, CaseIterable {
        case sqlite, postgres
    }

    public let backend: Backend
    let driver: any StoreDriver
    public let logger: Logger
    /// Counts this process's writes, so answers kept in memory (`ResponseCache`) know they may be out of date.
    public let changes = StoreChanges()
    /// Names this process in its write announcements on PostgreSQL, so that it does not count its own twice.
    let origin = UUID().uuidString

    init(backend: Backend, driver: any StoreDriver, logger: Logger) {
        self.backend = backend
        self.driver = driver
        self.logger = logger
    }

    /// Opens the store a database URL names: `postgres://…` selects PostgreSQL, anything else is a SQLite path.
    public static func open(url: String, logger: Logger) async throws -> Store {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let driver = try PostgresDriver(url: url, logger: logger)
            return Store(backend: .postgres, driver: driver, logger: logger)
        }
        let path = url.hasPrefix("sqlite://") ? String(url.dropFirst("sqlite://".count)) : url
        let driver = try await SQLiteDriver.open(path: path, logger: logger)
        return Store(backend: .sqlite, driver: driver, logger: logger)
    }

    /// Runs read-only statements; on SQLite they never wait for the writer.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await driver.withReader(body)
        } catch {
            throw StoreError.map(error)
        }
    }

    /// Runs statements in one transaction: all of it commits or none of it does.
    ///
    /// A transaction, once started, runs to COMMIT or ROLLBACK even if the calling task is cancelled: cancelling
    /// half-way would leave the connection inside an open transaction.
    ///
    /// `observed: false` is for writes of bookkeeping that no cached answer shows (rate counters, session activity, job
    /// claims and heartbeats): every other write makes `changes` move on, committed or not.
    public func write<T: Sendable>(
        observed: Bool = true, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        defer { if observed { changes.advance() } }
        do {
            guard observed, backend == .postgres else { return try await driver.withTransaction(body) }
            return try await driver.withTransaction(announcing(body))
        } catch {
            throw StoreError.map(error)
        }
    }

    /// Runs `body`, which sends exactly one statement that writes. A single statement is atomic by itself, so on
    /// PostgreSQL it goes without BEGIN and COMMIT (two round trips fewer); on SQLite it takes the writer like
    /// `write`. Like `write`, it runs to its end even if the calling task is cancelled.
    public func writeStatement<T: Sendable>(
        observed: Bool = true, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        defer { if observed { changes.advance() } }
        do {
            guard observed, backend == .postgres else { return try await driver.withSingleStatement(body) }
            // Announced at its commit, like `write`'s: a transaction of the statement and its announcement.
            return try await driver.withTransaction(announcing(body))
        } catch {
            throw StoreError.map(error)
        }
    }

    /// `body`, then the announcement of its transaction's write: sent at COMMIT to every process listening
    /// (`StoreChangeListener`), and with a rollback never.
    private func announcing<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) -> @Sendable (any SQLDatabase) async throws -> T {
        let origin = self.origin
        return { db in
            let result = try await body(db)
            try await StoreChanges.announce(origin, on: db)
            return result
        }
    }

    /// Answers whether the store can be reached within `timeout` (a pool retrying a dead server would wait longer).
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        let answer = OnceBox<Bool>()
        // Neither attempt is awaited to its end: a pool retrying a dead server must not hold up the answer.
        return await withCheckedContinuation { continuation in
            Task {
                let reachable = (try? await self.read { db in try await db.raw("SELECT 1 AS one").first() }) != nil
                answer.resume(continuation, with: reachable)
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer.resume(continuation, with: false)
            }
        }
    }

    public func close() async {
        await driver.close()
    }
}

/// SQL type names per backend, for migrations.
public struct ColumnTypes: Sendable {
    let backend: Store.Backend
    /// An auto-incrementing integer primary key.
    public var serialKey: String {
        backend == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    }
    public var bool: String { backend == .sqlite ? "INTEGER" : "BOOLEAN" }
    public var blob: String { backend == .sqlite ? "BLOB" : "BYTEA" }
    /// Table suffix that stores rows in primary-key order on SQLite (a key range is then one sequential read).
    public var clustered: String { backend == .sqlite ? " WITHOUT ROWID" : "" }
}

/// What each backend provides to `Store`.
protocol StoreDriver: Sendable {
    func withReader<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction, to its end even if the calling task is cancelled.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body`'s one writing statement atomically, to its end even if the calling task is cancelled.
    func withSingleStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func close() async
}

extension StoreDriver {
    func withSingleStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withTransaction(body)
    }
}

extension SQLDatabase {
    /// Runs `body` between BEGIN and COMMIT, rolling back if it throws.
    func transaction<T>(begin: String = "BEGIN", _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await raw(SQLQueryString(begin)).run()
        do {
            let result = try await body(self)
            try await raw("COMMIT").run()
            return result
        } catch {
            try? await raw("ROLLBACK").run()
            throw error
        }
    }
}

/// Resumes a continuation once, whichever of several racers gets there first.
final class OnceBox<T: Sendable>: Sendable {
    private let done = Mutex(false)

    func resume(_ continuation: CheckedContinuation<T, Never>, with value: T) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { continuation.resume(returning: value) }
    }
}
