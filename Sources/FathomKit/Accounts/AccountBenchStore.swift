import Foundation
import SQLKit

/// SQL that fills a store with synthetic accounts for `fathom bench accounts`.
enum AccountBenchStore {
    /// Inserts `count` active accounts spread over `instances` instance ids, with facts of realistic variety.
    static func seed(count: Int, instances: Int, now: Int64, store: Store) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var generator = SystemRandomNumberGenerator()
        for start in stride(from: 0, to: count, by: 2000) {
            var rows: [(instance: Int64, name: String, snapshot: String, facts: String, superuser: Bool)] = []
            for n in start..<min(start + 2000, count) {
                let snapshot = synthetic(n, using: &generator)
                rows.append((
                    Int64(n % instances + 1), "user_\(n)", String(decoding: try encoder.encode(snapshot), as: UTF8.self),
                    String(decoding: try encoder.encode(snapshot.facts(now: Date())), as: UTF8.self), snapshot.isSuperuser))
            }
            let batch = rows
            try await store.write { db in
                for chunk in stride(from: 0, to: batch.count, by: 250) {
                    let values: [SQLQueryString] = batch[chunk..<min(chunk + 250, batch.count)].map { row in
                        """
                        (\(bind: row.instance), 'postgresql', \(bind: row.name), \(bind: true), \(bind: row.superuser), \(bind: false),
                         \(bind: row.snapshot), \(bind: row.facts), \(bind: now), \(bind: now), \(bind: now), \(bind: now))
                        """
                    }
                    try await db.raw(
                        """
                        INSERT INTO account_ledger (instance_id, db_type, username, is_active, is_superuser, is_locked, permissions,
                            facts, first_seen_at, last_seen_at, created_at, updated_at)
                        VALUES \(values.joined(separator: ", "))
                        """
                    ).run()
                }
            }
        }
    }

    /// Account number `n`: mostly application users with a few database and table grants, some admins.
    static func synthetic(_ n: Int, using generator: inout SystemRandomNumberGenerator) -> PermissionSnapshot {
        let roll = Int.random(in: 0..<100, using: &generator)
        var snapshot = PermissionSnapshot(attributes: [
            "superuser": .bool(roll == 0), "createrole": .bool(roll < 3), "createdb": .bool(roll < 5), "login": .bool(roll != 99),
            "replication": .bool(roll == 1), "bypassrls": .bool(false), "inherit": .bool(true), "connection_limit": .int(-1),
            "valid_until": .null,
        ])
        let database = "db\(n % 20)"
        snapshot.roles = roll < 30 ? ["app_read": false] : (roll < 60 ? ["app_write": roll < 33] : [:])
        snapshot.privileges["database"] = [database: roll < 50 ? ["CONNECT"] : ["CONNECT", "CREATE", "TEMP"]]
        snapshot.privileges["schema"] = ["\(database).public": ["USAGE"]]
        snapshot.privileges["table"] = ["\(database).public": roll < 40 ? ["SELECT"] : ["DELETE", "INSERT", "SELECT", "UPDATE"]]
        return snapshot
    }

    /// The (instance, username) of up to `limit` accounts, for lookup timings.
    static func sample(limit: Int, on db: any SQLDatabase) async throws -> [(Int64, String)] {
        try await db.raw("SELECT instance_id, username FROM account_ledger ORDER BY account_id LIMIT \(bind: limit)")
            .all().map { (try $0.int64("instance_id"), try $0.string("username")) }
    }
}
