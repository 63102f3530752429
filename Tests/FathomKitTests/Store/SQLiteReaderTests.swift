@testable import FathomKit
import Foundation
import NIOCore
import SQLKit
import SQLiteNIO
import Synchronization
import Testing

/// Fathom's own SQLite readers (`SQLiteReaderPool`) answer exactly as SQLiteNIO does, keep their statements prepared
/// across uses and schema changes, and stay usable after a failing statement. SQLite only: the readers are the
/// SQLite driver's; PostgreSQL's reads are covered by `PostgresStoreDatabaseTests`.
@Suite(.timeLimit(.minutes(5))) struct SQLiteReaderTests {
    /// The reader's cells and the writer's (SQLiteNIO's) for the same statement.
    private static func bothWays(_ store: Store, _ query: SQLQueryString) async throws -> (reader: Rows, nio: Rows) {
        let reader = try await store.read { db in
            let rows = try await db.raw(query).all()
            return Rows(columns: rows.first?.allColumns ?? [], cells: rows.map { ($0 as! SQLiteReaderRow).cells })
        }
        let nio = try await store.write { db in
            let rows = try await db.raw(query).all()
            return Rows(columns: rows.first?.allColumns ?? [], cells: rows.map { ($0 as! SQLiteStoreRow).row.columns.map(\.data) })
        }
        return (reader, nio)
    }

    struct Rows: Sendable, Equatable {
        var columns: [String]
        var cells: [[SQLiteData]]
    }

    private static func readers(_ store: Store) throws -> SQLiteReaderPool {
        try #require(store.driver as? SQLiteDriver).readers
    }

    @Test func cachedStatementAnswersAsAFreshOne() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            let pool = try Self.readers(store)
            for name in ["ann", "bob", "cy"] { _ = try await harness.createUser(name, role: .viewer) }
            let before = try await pool.cachedStatements().reduce(0, +)
            // Many uses of one SQL text with different binds, more than there are readers: each reader prepares it once.
            for round in 0..<12 {
                let name = ["ann", "bob", "cy", "nobody"][round % 4]
                let query: SQLQueryString = "SELECT id, username, role, disabled FROM users WHERE username = \(bind: name) ORDER BY id"
                let (reader, nio) = try await Self.bothWays(store, query)
                #expect(reader == nio)
                #expect(reader.cells.count == (name == "nobody" ? 0 : 1))
            }
            let after = try await pool.cachedStatements().reduce(0, +)
            #expect(after > before)
            #expect(after <= before + 4)
        }
    }

    @Test func bindsAndCellsOfEveryTypeAndNull() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            let blob = Data([0, 1, 2, 255])
            let query: SQLQueryString = """
                SELECT \(bind: "text ü \"q\" 'x'") AS s, \(bind: "") AS empty, \(bind: Int64.max) AS i64,
                       \(bind: Int64.min) AS i64min, \(bind: -42) AS i, \(bind: true) AS t, \(bind: false) AS f,
                       \(bind: 2.5) AS d, \(bind: String?.none) AS no_s, \(bind: Int?.some(7)) AS some_i,
                       \(bind: blob) AS b, \(bind: Data()) AS empty_b, typeof(\(bind: "")) AS empty_type,
                       typeof(\(bind: Data())) AS empty_b_type, NULL AS n, 1.0 AS whole, 'a' || char(0) || 'b' AS nul
                """
            let (reader, nio) = try await Self.bothWays(store, query)
            #expect(reader.columns == nio.columns)
            // SQLiteNIO reads text up to its first NUL; the reader keeps the whole text.
            #expect(reader.cells[0].dropLast() == nio.cells[0].dropLast())
            #expect(reader.cells[0].last == .text("a\u{0}b"))
            // A zero-length blob is bound as a blob, not as NULL.
            #expect(reader.cells[0][reader.columns.firstIndex(of: "empty_b_type")!] == .text("blob"))
            #expect(reader.cells[0][reader.columns.firstIndex(of: "empty_type")!] == .text("text"))
            let row = try #require(try await store.read { db in try await db.raw(query).first() })
            #expect(try row.string("s") == "text ü \"q\" 'x'")
            #expect(try row.string("empty") == "")
            #expect(try row.int64("i64") == Int64.max)
            #expect(try row.int64("i64min") == Int64.min)
            #expect(try row.int("i") == -42)
            #expect(try row.bool("t"))
            #expect(try !row.bool("f"))
            #expect(try row.decode(column: "d", as: Double.self) == 2.5)
            #expect(try row.decode(column: "whole", as: Double.self) == 1.0)
            #expect(try row.optionalString("no_s") == nil)
            #expect(try row.decodeNil(column: "n"))
            #expect(try row.decode(column: "n", as: Int?.self) == nil)
            #expect(try row.int("some_i") == 7)
            #expect(try row.decode(column: "b", as: Data.self) == blob)
            #expect(try row.decode(column: "i", as: String.self) == "-42")
            #expect(!row.contains(column: "missing"))
            #expect(try row.decodeNil(column: "missing"))
            #expect(throws: (any Error).self) { try row.string("missing") }
            #expect(throws: (any Error).self) { try row.bool("i") }
            #expect(throws: (any Error).self) { try row.int("s") }
        }
    }

    @Test func failingStatementsLeaveEveryReaderUsable() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            for _ in 0..<8 {
                // Fails when prepared.
                await #expect(throws: SQLiteReaderError.self) {
                    try await store.read { db in try await db.raw("SELECT * FROM no_such_table").all() }
                }
                // Prepared and kept, then fails while stepping; the next use prepares it again.
                for text in ["[1,2]", "not json", "{\"a\":3}"] {
                    let query: SQLQueryString = "SELECT json_extract(\(bind: text), '$[0]') AS v"
                    if text == "not json" {
                        await #expect(throws: SQLiteReaderError.self) { try await store.read { db in try await db.raw(query).all() } }
                    } else {
                        let row = try await store.read { db in try await db.raw(query).first() }
                        #expect(try row?.decode(column: "v", as: Int?.self) == (text == "[1,2]" ? 1 : nil))
                    }
                }
                let one = try await store.read { db in try await db.raw("SELECT 1 AS one").first()?.int("one") }
                #expect(one == 1)
            }
            // A store error is recognised as one: codes map as SQLiteNIO's errors do.
            #expect(StoreError(SQLiteReaderError(code: 773, message: "busy"))?.appError.code == .storeUnavailable)
            #expect(StoreError(SQLiteReaderError(code: 2067, message: "unique"))?.isUniqueViolation == true)
            #expect(StoreError(SQLiteReaderError(code: 1, message: "syntax")) == nil)
        }
    }

    @Test func cachedStatementsFollowSchemaChangesByTheWriter() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            try await store.write { db in
                try await db.raw("CREATE TABLE reader_probe (a INTEGER, b TEXT)").run()
                try await db.raw("INSERT INTO reader_probe VALUES (1, 'x'), (2, 'y')").run()
            }
            let everything: SQLQueryString = "SELECT * FROM reader_probe ORDER BY a"
            let byB: SQLQueryString = "SELECT a FROM reader_probe WHERE b = \(bind: "y")"
            // Prepared on every reader first.
            for _ in 0..<8 {
                let rows = try await Self.bothWays(store, everything)
                #expect(rows.reader == rows.nio)
                #expect(rows.reader.columns == ["a", "b"])
                #expect(try await store.read { db in try await db.raw(byB).all().map { try $0.int("a") } } == [2])
            }
            try await store.write { db in
                try await db.raw("ALTER TABLE reader_probe ADD COLUMN c INTEGER DEFAULT 9").run()
                try await db.raw("CREATE INDEX reader_probe_b ON reader_probe (b)").run()
            }
            for _ in 0..<8 {
                let rows = try await Self.bothWays(store, everything)
                #expect(rows.reader == rows.nio)
                #expect(rows.reader.columns == ["a", "b", "c"])
                #expect(rows.reader.cells.first?.last == .integer(9))
                #expect(try await store.read { db in try await db.raw(byB).all().map { try $0.int("a") } } == [2])
            }
            // Renamed columns, then a table dropped and made again with other columns.
            try await store.write { db in try await db.raw("ALTER TABLE reader_probe RENAME COLUMN c TO d").run() }
            for _ in 0..<8 { #expect(try await Self.bothWays(store, everything).reader.columns == ["a", "b", "d"]) }
            try await store.write { db in try await db.raw("DROP TABLE reader_probe").run() }
            for _ in 0..<4 {
                await #expect(throws: SQLiteReaderError.self) { try await store.read { db in try await db.raw(everything).all() } }
            }
            try await store.write { db in
                try await db.raw("CREATE TABLE reader_probe (a INTEGER, z REAL)").run()
                try await db.raw("INSERT INTO reader_probe VALUES (5, 0.5)").run()
            }
            for _ in 0..<8 {
                let rows = try await Self.bothWays(store, everything)
                #expect(rows.reader == rows.nio)
                #expect(rows.reader.cells == [[.integer(5), .float(0.5)]])
            }
        }
    }

    @Test func manyConcurrentReadsBesideWrites() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            try await store.write { db in
                try await db.raw("CREATE TABLE reader_load (k INTEGER PRIMARY KEY, v TEXT)").run()
                try await db.raw(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO reader_load SELECT i, 'v' || i FROM n"
                ).run()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 0..<50 {
                        try await store.write { db in
                            try await db.raw("INSERT INTO reader_load (k, v) VALUES (\(bind: 10_000 + round), 'w')").run()
                        }
                    }
                }
                for task in 0..<400 {
                    group.addTask {
                        let key = task % 2000 + 1
                        let found = try await store.read { db in
                            try await db.raw("SELECT v FROM reader_load WHERE k = \(bind: key)").first()?.string("v")
                        }
                        #expect(found == "v\(key)")
                        if task % 40 == 0 {
                            let count = try await store.read { db in
                                try await db.raw("SELECT count(*) AS n FROM reader_load WHERE k <= 2000").first()?.int("n")
                            }
                            #expect(count == 2000)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func answersEqualSQLiteNIOsOnTheStoresOwnTables() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            for name in ["dee", "eve"] { _ = try await harness.createUser(name, role: .operator) }
            let queries: [SQLQueryString] = [
                "SELECT * FROM users ORDER BY id",
                "SELECT name, type, sql FROM sqlite_master ORDER BY name",
                "SELECT * FROM schema_migrations ORDER BY 1",
                "SELECT role, count(*) AS n, max(created_at) AS latest, avg(created_at) AS mean FROM users GROUP BY role ORDER BY role",
                "SELECT id AS same, username AS same FROM users ORDER BY id",
                "SELECT * FROM users WHERE id IN (\(bind: "none"), \(bind: "other"))",
                "PRAGMA table_info(users)",
                "PRAGMA integrity_check",
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT i, i * 0.5 AS h, hex(i) AS x, zeroblob(i % 3) AS z FROM n",
            ]
            for query in queries {
                let rows = try await Self.bothWays(store, query)
                #expect(rows.reader == rows.nio)
            }
            // The store's own read paths on a reader: maintenance checks, a checkpoint and a copy (never kept prepared).
            let pool = try Self.readers(store)
            let kept = try await pool.cachedStatements()
            try await store.checkpointWAL()
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("reader-copy-\(UUID().uuidString).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: copy) }
            try await store.vacuumInto(copy)
            #expect(FileManager.default.fileExists(atPath: copy))
            #expect(try await pool.cachedStatements() == kept)
            #expect(try await store.integrityProblems().isEmpty)
            // SQLKit's future-returning path and streaming through `run`.
            let counted = Mutex(0)
            try await store.read { db in
                try await db.raw("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n")
                    .run { _ in counted.withLock { $0 += 1 } }
                try await db.execute(sql: SQLRaw("SELECT 1 AS one")) { _ in counted.withLock { $0 += 1 } }.get()
            }
            #expect(counted.withLock { $0 } == 100_001)
        }
    }

    @Test func statementsOfOneReadShareTheirConnection() async throws {
        try await Harness.with(.sqlite) { harness in
            let store = harness.services.store
            // What a statement sets on its connection is seen by the next one of the same body (as with SQLiteNIO's
            // readers; bodies running side by side may share a connection, so such settings are not theirs alone).
            for _ in 0..<12 {
                let seen = try await store.read { db in
                    try await db.raw("PRAGMA foreign_keys=OFF").run()
                    let off = try await db.raw("PRAGMA foreign_keys").first()?.int("foreign_keys")
                    try await db.raw("PRAGMA foreign_keys=ON").run()
                    let on = try await db.raw("PRAGMA foreign_keys").first()?.int("foreign_keys")
                    return [off, on]
                }
                #expect(seen == [0, 1])
            }
            #expect(SQLiteReader.isPragma("  \n\tPrAgMa foreign_keys"))
            #expect(!SQLiteReader.isPragma("SELECT 'pragma'"))
            #expect(!SQLiteReader.isPragma("prag"))
        }
    }

    @Test func closedStoreRefusesReads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-reader-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await Store.open(url: directory.appendingPathComponent("fathom.sqlite").path, logger: .init(label: "test"))
        #expect(try await store.read { db in try await db.raw("SELECT 2 AS two").first()?.int("two") } == 2)
        await store.close()
        await #expect(throws: (any Error).self) { try await store.read { db in try await db.raw("SELECT 2 AS two").all() } }
    }
}
