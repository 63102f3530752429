import Foundation
import SQLKit

/// Reads of the account change log (per account, or fleet-wide with filters).
enum ChangeLogQuery {
    struct Filter: Sendable {
        var accountId: Int64?
        var instanceId: Int64?
        var changeType: ChangeType?
        var since: Int64?
        var search: String?
        /// Tenant scope: visible instances, nil for the fleet.
        var instances: Set<Int64>?

        var sql: SQLQueryString {
            var conditions: [SQLQueryString] = ["1 = 1"]
            if let accountId { conditions.append("g.account_id = \(bind: accountId)") }
            if let instanceId { conditions.append("g.instance_id = \(bind: instanceId)") }
            if let instances { conditions.append(instances.isEmpty ? "1 = 0" : "g.instance_id IN (\(binds: Array(instances)))") }
            if let changeType { conditions.append("g.change_type = \(bind: changeType.rawValue)") }
            if let since { conditions.append("g.changed_at >= \(bind: since)") }
            if let search { conditions.append("LOWER(g.username) LIKE \(bind: "%" + search.lowercased() + "%")") }
            return conditions.joined(separator: " AND ")
        }
    }

    struct ItemView: Encodable, Sendable {
        var change_id: Int64
        var account_id: Int64
        var instance_id: Int64
        var db_type: String
        var username: String
        var change_type: String
        var message: String
        var privilege_diff: JSONValue
        var other_diff: JSONValue
        var sync_run_id: Int64?
        var changed_at: String
    }

    static func page(_ filter: Filter, offset: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [ItemView], total: Int) {
        try await OffsetPageQuery(
            columns: """
                g.change_id, g.account_id, g.instance_id, g.db_type, g.username, g.change_type, g.message, g.privilege_diff,
                g.other_diff, g.sync_run_id, g.changed_at
                """,
            from: "account_change_log g", filter: filter.sql, orderBy: "g.change_id DESC"
        ).run(on: db, limit: limit, offset: offset) { row in
            ItemView(
                change_id: try row.int64("change_id"), account_id: try row.int64("account_id"), instance_id: try row.int64("instance_id"),
                db_type: try row.string("db_type"), username: try row.string("username"), change_type: try row.string("change_type"),
                message: try row.string("message"), privilege_diff: JSONText.decode(try row.string("privilege_diff")),
                other_diff: JSONText.decode(try row.string("other_diff")), sync_run_id: try row.optionalInt64("sync_run_id"),
                changed_at: Timestamp.iso8601(millis: try row.int64("changed_at")))
        }
    }
}
