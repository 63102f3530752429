@testable import FathomKit
import Foundation
import SQLKit
import Testing

/// Bulk inserts write exactly the rows given on both backends: `VALUES` lists on SQLite, column arrays and `unnest`
/// on PostgreSQL, across several statements, with constants and an `ON CONFLICT` tail.
@Suite(.timeLimit(.minutes(5))) struct BulkInsertTests {
    static let table = BulkInsert("bulk_rows", [
        .text("id"), .constant("state", "'new'"), .bigint("n"), .text("label"),
    ], tail: "ON CONFLICT (id) DO UPDATE SET n = excluded.n, label = excluded.label, state = 'again'")

    /// Texts an encoding could get wrong: quotes, separators and braces of array literals, NULL-like words, Unicode.
    static func label(_ index: Int) -> String {
        ["", "it's", "a,b", "{x}", "\"q\"", "NULL", "back\\slash", "ü 数据 🚀", "line\nbreak"][index % 9] + String(index)
    }

    @Test(arguments: Backends.all)
    func everyRowIsWrittenAsGivenAndTheTailApplies(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let store = harness.services.store
            let count = BulkInsert.rowsPerArrayStatement * 2 + 7
            try await store.write { db in
                try await db.raw("CREATE TABLE bulk_rows (id TEXT PRIMARY KEY, state TEXT NOT NULL, n BIGINT NOT NULL, label TEXT NOT NULL)").run()
                try await Self.table.run(0..<count, on: db, backend: backend) { index in
                    [.text(String(format: "r%06d", index)), .bigint(Int64(index) * 1_000_000_007), .text(Self.label(index))]
                }
                // Rows given again take the tail's update.
                try await Self.table.run([3, 9_999], on: db, backend: backend) { index in
                    [.text(String(format: "r%06d", index)), .bigint(-1), .text("again")]
                }
            }
            let rows = try await store.read { db in
                try await db.raw("SELECT id, state, n, label FROM bulk_rows ORDER BY id").all()
            }
            #expect(rows.count == count)
            for (index, row) in rows.enumerated() {
                let again = index == 3 || index == 9_999
                #expect(try row.string("id") == String(format: "r%06d", index))
                #expect(try row.string("state") == (again ? "again" : "new"))
                #expect(try row.int64("n") == (again ? -1 : Int64(index) * 1_000_000_007))
                #expect(try row.string("label") == (again ? "again" : Self.label(index)))
            }
        }
    }

    /// A statement that fails after others have run (a key given twice, with no tail to settle it) fails the insert,
    /// and the transaction rolls back whole: nothing of the earlier statements stays.
    @Test(arguments: Backends.all)
    func aFailingStatementLeavesNothing(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let store = harness.services.store
            try await store.write { db in
                try await db.raw("CREATE TABLE bulk_keys (id BIGINT PRIMARY KEY, label TEXT NOT NULL)").run()
            }
            let plain = BulkInsert("bulk_keys", [.bigint("id"), .text("label")])
            let count = BulkInsert.rowsPerArrayStatement * 3
            await #expect(throws: (any Error).self) {
                try await store.write { db in
                    try await plain.run(0..<count, on: db, backend: backend) { index in
                        // Row 12,000 repeats key 11,999: the third array statement (or a late VALUES one) fails.
                        [.bigint(Int64(index == 12_000 ? 11_999 : index)), .text("row \(index)")]
                    }
                }
            }
            let left = try await store.read { db in try await db.raw("SELECT COUNT(*) AS n FROM bulk_keys").first()?.int("n") }
            #expect(left == 0)
            // The store still works afterwards.
            try await store.write { db in
                try await plain.run([1, 2], on: db, backend: backend) { [.bigint(Int64($0)), .text("after")] }
            }
            let after = try await store.read { db in try await db.raw("SELECT COUNT(*) AS n FROM bulk_keys").first()?.int("n") }
            #expect(after == 2)
        }
    }

    @Test(arguments: Backends.all)
    func nothingToInsertSendsNothing(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.services.store.write { db in
                // The table does not exist: a statement sent would fail.
                try await Self.table.run([Int](), on: db, backend: backend) { _ in [] }
            }
        }
    }
}
