@testable import FathomKit
import Foundation
import SQLKit
import Synchronization
import Testing

/// The PostgreSQL store's short path for binds and cells answers exactly as PostgresKit's general one: same
/// values, same parameter types (a NULL from an absent optional keeps its type), the same fallbacks.
@Suite(.timeLimit(.minutes(5))) struct PostgresStoreDatabaseTests {
    @Test(arguments: Backends.all)
    func simpleValuesRoundTripThroughBindsAndCells(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let row = try await harness.services.store.read { db in
                try await db.raw(
                    """
                    SELECT \(bind: "text ü") AS s, \(bind: Int64.max) AS i64, \(bind: -42) AS i, \(bind: true) AS b,
                           \(bind: 2.5) AS d, \(bind: String?.none) AS no_s, \(bind: Int?.some(7)) AS some_i
                    """
                ).first()
            }
            let found = try #require(row)
            #expect(try found.string("s") == "text ü")
            #expect(try found.int64("i64") == Int64.max)
            #expect(try found.int("i") == -42)
            #expect(try found.bool("b"))
            #expect(try found.decode(column: "d", as: Double.self) == 2.5)
            #expect(try found.decodeNil(column: "no_s"))
            #expect(try found.optionalString("no_s") == nil)
            #expect(try found.int("some_i") == 7)
            #expect(!found.contains(column: "missing"))
            #expect(found.contains(column: "s"))
            #expect(Set(found.allColumns) == ["s", "i64", "i", "b", "d", "no_s", "some_i"])
            #expect(throws: (any Error).self) { try found.string("missing") }
            if backend == .postgres {
                #expect(found is PostgresStoreRow)
                #expect(try found.decodeNil(column: "missing"))
                #expect(throws: (any Error).self) { try found.int("s") }
            }
        }
    }

    @Test(arguments: Backends.all)
    func bindsKeepTheirPostgresTypesAndOtherTypesTakeTheGeneralPath(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await Harness.with(backend) { harness in
            let types = try await harness.services.store.read { db in
                try await db.raw(
                    """
                    SELECT pg_typeof(\(bind: "x"))::text AS s, pg_typeof(\(bind: 1))::text AS i,
                           pg_typeof(\(bind: Int64(1)))::text AS i64, pg_typeof(\(bind: false))::text AS b,
                           pg_typeof(\(bind: 1.5))::text AS d, pg_typeof(\(bind: String?.none))::text AS no_s,
                           pg_typeof(\(bind: Int64?.none))::text AS no_i64, pg_typeof(\(bind: Bool?.none))::text AS no_b,
                           pg_typeof(\(bind: Double?.none))::text AS no_d,
                           pg_typeof(\(bind: Date(timeIntervalSince1970: 0)))::text AS date,
                           CAST(1.25 AS NUMERIC) AS numeric_value
                    """
                ).first()
            }
            let found = try #require(types)
            #expect(try found.string("s") == "text")
            #expect(try found.string("i") == "bigint")
            #expect(try found.string("i64") == "bigint")
            #expect(try found.string("b") == "boolean")
            #expect(try found.string("d") == "double precision")
            #expect(try found.string("no_s") == "text")
            #expect(try found.string("no_i64") == "bigint")
            #expect(try found.string("no_b") == "boolean")
            #expect(try found.string("no_d") == "double precision")
            #expect(try found.string("date") == "timestamp with time zone")
            // A binary numeric read as a double is PostgresKit's special case, left to it.
            #expect(try found.decode(column: "numeric_value", as: Double.self) == 1.25)
        }
    }

    /// The rows of one statement share their column positions, yet each answers its own cells; a name that appears
    /// twice gives the cell PostgresKit's general row gives.
    @Test(arguments: Backends.all)
    func rowsOfOneStatementShareColumnPositions(_ backend: Store.Backend) async throws {
        guard backend == .postgres else { return }
        try await Harness.with(backend) { harness in
            let rows = try await harness.services.store.read { db in
                try await db.raw(
                    """
                    SELECT n AS id, 'row ' || n AS label, CASE WHEN n % 2 = 0 THEN NULL ELSE n * 10 END AS maybe,
                           'first' AS twice, 'second' AS twice
                    FROM generate_series(1, \(bind: 300)) AS n ORDER BY n
                    """
                ).all()
            }
            #expect(rows.count == 300)
            for (index, row) in rows.enumerated() {
                let n = index + 1
                #expect(try row.int("id") == n)
                #expect(try row.string("label") == "row \(n)")
                #expect(try row.decodeNil(column: "maybe") == (n % 2 == 0))
                if n % 2 == 1 { #expect(try row.int("maybe") == n * 10) }
                let general = try #require(row as? PostgresStoreRow).row.sql()
                #expect(try row.string("twice") == (try general.decode(column: "twice", as: String.self)))
            }
        }
    }

    @Test func onlyTheSimpleBindTypesAreEncodedDirectly() {
        #expect(PostgresStoreDatabase.simpleBindings(["a", 1, Int64(2), true, 0.5, String?.none, Int?.some(3), ["x", "y"], [Int64(1)]])?.count == 9)
        #expect(PostgresStoreDatabase.simpleBindings(["a", Date()]) == nil)
        #expect(PostgresStoreDatabase.simpleBindings([Date?.none]) == nil)
        #expect(PostgresStoreDatabase.simpleBindings([Data([1, 2])]) == nil)
    }

    @Test func deadlinesFireOnceAfterTheirTimeUnlessRemovedAndTheSweepRestarts() async throws {
        let deadlines = AcquireDeadlines(tick: .milliseconds(10))
        let fired = FiredIDs()
        for round in 0..<2 {
            _ = deadlines.add(deadline: .now + .milliseconds(30)) { fired.add("kept \(round)") }
            let removed = deadlines.add(deadline: .now + .milliseconds(30)) { fired.add("removed \(round)") }
            deadlines.remove(removed)
            // Long enough for several sweeps; the sweep then stops, and the next round must start it again.
            try await Task.sleep(for: .milliseconds(300))
            #expect(fired.all == (0...round).map { "kept \($0)" })
        }
    }
}

/// What the deadlines fired, in order.
private final class FiredIDs: Sendable {
    private let fired = Mutex<[String]>([])
    func add(_ id: String) { fired.withLock { $0.append(id) } }
    var all: [String] { fired.withLock { $0 } }
}
