import Foundation
import SQLKit

/// SQL for the account ledger and its change log (what a sync writes).
enum AccountStore {
    /// An account as the ledger keeps it.
    struct Known: Sendable {
        var accountId: Int64
        var isActive: Bool
        var permissions: PermissionSnapshot?
    }

    /// One change-log row to write.
    struct Change: Sendable {
        var accountId: Int64
        var username: String
        var type: ChangeType
        var message: String
        var privileges: [PrivilegeChange]
        var other: [OtherChange]
    }

    static func known(instanceId: Int64, on db: any SQLDatabase) async throws -> [String: Known] {
        var known: [String: Known] = [:]
        for row in try await db.raw(
            "SELECT account_id, username, is_active, permissions FROM account_ledger WHERE instance_id = \(bind: instanceId)"
        ).all() {
            known[try row.string("username")] = Known(
                accountId: try row.int64("account_id"), isActive: try row.bool("is_active"),
                permissions: try? JSONDecoder().decode(PermissionSnapshot.self, from: Data(try row.string("permissions").utf8)))
        }
        return known
    }

    static func insert(
        instanceId: Int64, dbType: String, username: String, snapshot: String, facts: String, superuser: Bool, locked: Bool,
        now: Int64, on db: any SQLDatabase
    ) async throws -> Int64 {
        try await db.raw(
            """
            INSERT INTO account_ledger (instance_id, db_type, username, is_active, is_superuser, is_locked, permissions, facts,
                first_seen_at, last_seen_at, last_change_at, created_at, updated_at)
            VALUES (\(bind: instanceId), \(bind: dbType), \(bind: username), \(bind: true), \(bind: superuser), \(bind: locked),
                \(bind: snapshot), \(bind: facts), \(bind: now), \(bind: now), \(bind: now), \(bind: now), \(bind: now))
            RETURNING account_id
            """
        ).first()?.int64("account_id") ?? 0
    }

    /// Records a seen account: active again, snapshot and facts current; `changed` moves `last_change_at`.
    static func refresh(
        accountId: Int64, snapshot: String, facts: String, superuser: Bool, locked: Bool, changed: Bool, now: Int64,
        on db: any SQLDatabase
    ) async throws {
        let lastChange: SQLQueryString = changed ? "\(bind: now)" : "last_change_at"
        try await db.raw(
            """
            UPDATE account_ledger SET is_active = \(bind: true), deleted_at = NULL, permissions = \(bind: snapshot),
                facts = \(bind: facts), is_superuser = \(bind: superuser), is_locked = \(bind: locked), last_seen_at = \(bind: now),
                last_change_at = \(lastChange), updated_at = \(bind: now)
            WHERE account_id = \(bind: accountId)
            """
        ).run()
    }

    /// Only the last-seen time moves (nothing changed: the snapshot is not rewritten).
    static func touch(accountIds: [Int64], now: Int64, on db: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: accountIds.count, by: 500).map({ Array(accountIds[$0..<min($0 + 500, accountIds.count)]) }) {
            try await db.raw(
                "UPDATE account_ledger SET last_seen_at = \(bind: now) WHERE account_id IN (\(binds: chunk))"
            ).run()
        }
    }

    static func deactivate(accountId: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE account_ledger SET is_active = \(bind: false), deleted_at = \(bind: now), last_change_at = \(bind: now),
                updated_at = \(bind: now)
            WHERE account_id = \(bind: accountId)
            """
        ).run()
    }

    /// Appends change-log rows, many per statement.
    static func log(
        _ changes: [Change], instanceId: Int64, dbType: String, runId: Int64?, now: Int64, on db: any SQLDatabase
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for start in stride(from: 0, to: changes.count, by: 200) {
            let chunk = changes[start..<min(start + 200, changes.count)]
            var values: [SQLQueryString] = []
            for change in chunk {
                let privileges = String(decoding: try encoder.encode(change.privileges), as: UTF8.self)
                let other = String(decoding: try encoder.encode(change.other), as: UTF8.self)
                values.append(
                    """
                    (\(bind: change.accountId), \(bind: instanceId), \(bind: dbType), \(bind: change.username),
                     \(bind: change.type.rawValue), \(bind: change.message), \(bind: privileges), \(bind: other), \(bind: runId), \(bind: now))
                    """)
            }
            try await db.raw(
                """
                INSERT INTO account_change_log (account_id, instance_id, db_type, username, change_type, message, privilege_diff,
                    other_diff, sync_run_id, changed_at)
                VALUES \(values.joined(separator: ", "))
                """
            ).run()
        }
    }
}
