@testable import FathomKit
import Foundation
import Logging
import SQLKit
import Testing

/// Reads prepared once per PostgreSQL connection answer exactly as unnamed statements do, are prepared once per
/// connection, and survive what can make a prepared statement stale: DISCARD, a table whose columns changed, a
/// statement that failed to prepare, a connection that was closed and replaced.
@Suite(.timeLimit(.minutes(5))) struct PostgresPreparedStatementsTests {
    /// A PostgreSQL store of its own, with reads prepared or not.
    private func withDriver(
        prepared: Bool = true, connections: Int = 1, url given: String? = nil, _ body: (PostgresDriver, String) async throws -> Void
    ) async throws {
        let url: String
        if let given { url = given } else { url = try await TestPostgres.createDatabase() }
        var logger = Logger(label: "prepared-test")
        logger.logLevel = .critical
        let driver = try PostgresDriver(url: url, logger: logger, maximumConnections: connections, prepareReads: prepared)
        do {
            try await body(driver, url)
            await driver.close()
        } catch {
            await driver.close()
            throw error
        }
    }

    /// The statements prepared on the connection the read runs on, by their text (without this read's own).
    private func preparedTexts(_ driver: PostgresDriver) async throws -> [String] {
        try await driver.withReader { db in
            try await db.raw("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'fathom_s%' AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY name").all()
                .map { try $0.string("statement") }
        }
    }

    private func values(_ driver: PostgresDriver, _ sql: SQLQueryString) async throws -> [[String?]] {
        try await driver.withReader { db in
            try await db.raw(sql).all().map { row in
                try row.allColumns.sorted().map { try row.decodeNil(column: $0) ? nil : row.decode(column: $0, as: String.self) }
            }
        }
    }

    @Test(arguments: Backends.all)
    func aReadIsPreparedOncePerConnectionAndReused(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        let marker = "reuse-\(UUID().uuidString)"
        try await withDriver { driver, _ in
            for number in 1...8 {
                let rows = try await values(driver, "SELECT CAST(\(bind: Int64(number)) * 2 AS TEXT) AS doubled, \(bind: marker) AS marker")
                #expect(rows == [[String(number * 2), marker]])
            }
            let texts = try await preparedTexts(driver).filter { $0.contains("doubled") }
            #expect(texts.count == 1)
        }
        try await withDriver(prepared: false) { driver, _ in
            _ = try await values(driver, "SELECT CAST(\(bind: Int64(1)) * 2 AS TEXT) AS doubled, \(bind: marker) AS marker")
            #expect(try await preparedTexts(driver).isEmpty)
        }
    }

    @Test(arguments: Backends.all)
    func preparedAndUnnamedReadsAnswerTheSameForEveryBindTypeAndNull(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        let statements: [SQLQueryString] = [
            """
            SELECT CAST(\(bind: "tëxt") AS TEXT) || '' AS a, pg_typeof(\(bind: Int64.min))::text AS b, CAST(\(bind: Int64.min) AS TEXT) AS c,
                   CAST(\(bind: 42) AS TEXT) AS d, CAST(\(bind: true) AS TEXT) AS e, CAST(\(bind: 0.1) AS TEXT) AS f,
                   CAST(\(bind: ["x", "y"]) AS TEXT) AS g, CAST(\(bind: [Int64(1), Int64(-2)]) AS TEXT) AS h
            """,
            """
            SELECT pg_typeof(\(bind: String?.none))::text AS a, CAST(\(bind: String?.none) AS TEXT) AS b,
                   pg_typeof(\(bind: Int64?.none))::text AS c, pg_typeof(\(bind: Int?.none))::text AS d,
                   pg_typeof(\(bind: Bool?.none))::text AS e, pg_typeof(\(bind: Double?.none))::text AS f,
                   CAST(\(bind: Int?.some(5)) AS TEXT) AS g, CAST(\(bind: [String]()) AS TEXT) AS h
            """,
            "SELECT CAST(g AS TEXT) AS a FROM generate_series(1, \(bind: 30)) g WHERE g % \(bind: Int64(7)) = 0 ORDER BY g",
            "SELECT CAST(\(bind: Date(timeIntervalSince1970: 0)) AS TEXT) AS a",
        ]
        try await withDriver(prepared: false) { unnamed, _ in
            try await withDriver { prepared, _ in
                for statement in statements {
                    let expected = try await values(unnamed, statement)
                    #expect(!expected.isEmpty)
                    // The first run prepares, the later ones execute the prepared statement.
                    for _ in 0..<7 { #expect(try await values(prepared, statement) == expected) }
                }
                // Date is not one of the simple binds: that statement went through PostgresKit, unprepared.
                #expect(try await preparedTexts(prepared).count == statements.count - 1)
            }
        }
    }

    @Test(arguments: Backends.all)
    func aStatementTheServerLostIsPreparedAgain(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await withDriver { driver, _ in
            let read: SQLQueryString = "SELECT CAST(\(bind: Int64(3)) + 4 AS TEXT) AS sum_value"
            #expect(try await values(driver, read) == [["7"]])
            try await driver.withSingleStatement { db in try await db.raw("DEALLOCATE ALL").run() }
            #expect(try await preparedTexts(driver).isEmpty)
            #expect(try await values(driver, read) == [["7"]])
            #expect(try await values(driver, read) == [["7"]])
            #expect(try await preparedTexts(driver).filter { $0.contains("sum_value") }.count == 1)
            try await driver.withSingleStatement { db in try await db.raw("DISCARD ALL").run() }
            #expect(try await values(driver, read) == [["7"]])
        }
    }

    @Test(arguments: Backends.all)
    func aTableWhoseColumnsChangedIsReadWithItsNewColumns(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await withDriver { driver, _ in
            try await driver.withTransaction { db in
                try await db.raw("CREATE TABLE changing (id TEXT PRIMARY KEY, name TEXT)").run()
                try await db.raw("INSERT INTO changing VALUES ('1', 'one'), ('2', 'two')").run()
            }
            let read: SQLQueryString = "SELECT * FROM changing WHERE id >= \(bind: "2")"
            #expect(try await values(driver, read) == [["2", "two"]])
            try await driver.withTransaction { db in
                try await db.raw("ALTER TABLE changing ADD COLUMN note TEXT DEFAULT 'n'").run()
            }
            #expect(try await values(driver, read) == [["2", "two", "n"]])
            #expect(try await values(driver, read) == [["2", "two", "n"]])
            // A changed column type, with the same names.
            try await driver.withTransaction { db in
                try await db.raw("ALTER TABLE changing ALTER COLUMN name TYPE VARCHAR(20)").run()
            }
            #expect(try await values(driver, read) == [["2", "two", "n"]])
        }
    }

    @Test(arguments: Backends.all)
    func aStatementThatFailedToPrepareWorksOnceItCan(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await withDriver { driver, _ in
            let read: SQLQueryString = "SELECT CAST(count(*) + \(bind: Int64(0)) AS TEXT) AS n FROM not_yet"
            await #expect(throws: (any Error).self) { try await values(driver, read) }
            try await driver.withTransaction { db in try await db.raw("CREATE TABLE not_yet (id INTEGER)").run() }
            #expect(try await values(driver, read) == [["0"]])
            #expect(try await values(driver, read) == [["0"]])
            // A read that fails when it runs (not when prepared) fails as it would unnamed, every time.
            let failing: SQLQueryString = "SELECT CAST(1 / \(bind: Int64(0)) AS TEXT) AS quotient"
            for _ in 0..<5 {
                await #expect(throws: (any Error).self) { try await values(driver, failing) }
            }
            #expect(try await values(driver, "SELECT CAST(1 / \(bind: Int64(1)) AS TEXT) AS quotient") == [["1"]])
        }
    }

    @Test(arguments: Backends.all)
    func aReplacedConnectionPreparesAgain(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await withDriver { driver, url in
            let read: SQLQueryString = "SELECT CAST(\(bind: Int64(5)) AS TEXT) AS replaced_value, CAST(pg_backend_pid() AS TEXT) AS pid"
            let first = try #require(try await values(driver, read).first)
            try await withDriver(prepared: false, url: url) { other, _ in
                try await other.withSingleStatement { db in
                    try await db.raw("SELECT pg_terminate_backend(CAST(\(bind: first[0]!) AS INTEGER))").run()
                }
            }
            // The pool may hand out the closed connection once more before it replaces it.
            var second: [String?]?
            for _ in 0..<50 where second == nil {
                second = try? await values(driver, read).first
                if second == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let replaced = try #require(second)
            #expect(replaced[0] != first[0])
            #expect(replaced[1] == "5")
            #expect(try await preparedTexts(driver).filter { $0.contains("replaced_value") }.count == 1)
        }
    }

    @Test(arguments: Backends.all)
    func concurrentReadsOverThePoolAnswerCorrectly(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await withDriver(connections: 4) { driver, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<24 {
                    group.addTask {
                        for round in 0..<15 {
                            let n = Int64(task * 100 + round)
                            let rows = try await driver.withReader { db in
                                switch round % 3 {
                                case 0: try await db.raw("SELECT \(bind: n) + 1 AS v").all().map { try $0.int64("v") }
                                case 1: try await db.raw("SELECT g AS v FROM generate_series(\(bind: n), \(bind: n) + 2) g").all().map { try $0.int64("v") }
                                default: try await db.raw("SELECT CAST(length(\(bind: String(n))) AS BIGINT) AS v").all().map { try $0.int64("v") }
                                }
                            }
                            switch round % 3 {
                            case 0: #expect(rows == [n + 1])
                            case 1: #expect(rows == [n, n + 1, n + 2])
                            default: #expect(rows == [Int64(String(n).count)])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func statementNumbersRoundTripThroughTheirTypes() {
        for number in [1, 2, 3, 6, 7, 64, 255, 500, 1023] {
            #expect(statementNumberType(number).value == number)
        }
        #expect(PostgresPreparedStatements.isPreparable("  SELECT 1"))
        #expect(PostgresPreparedStatements.isPreparable("(select 1) UNION (select 2)"))
        #expect(PostgresPreparedStatements.isPreparable("WITH x AS (SELECT 1) SELECT * FROM x"))
        #expect(!PostgresPreparedStatements.isPreparable("INSERT INTO t VALUES (1)"))
        #expect(!PostgresPreparedStatements.isPreparable("DEALLOCATE ALL"))
    }
}
