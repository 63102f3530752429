import Foundation
import SQLKit

/// SQL for account classification assignments, and the batched reads and writes of auto-classification.
enum AssignmentStore {
    struct Existing: Sendable {
        var assignmentId: Int64
        var accountId: Int64
        var classificationId: Int64
        var ruleId: Int64?
        var manual: Bool
    }

    static let columns: SQLQueryString = """
        x.assignment_id, x.account_id, a.instance_id, a.username, x.classification_id, c.code, x.rule_id, x.assignment_type,
        x.assigned_by, x.assigned_at
        """

    static let from: SQLQueryString = """
        account_classification_assignments x JOIN account_ledger a ON a.account_id = x.account_id
        JOIN account_classifications c ON c.classification_id = x.classification_id
        """

    static func decode(_ row: any SQLRow) throws -> AssignmentView {
        AssignmentView(
            assignment_id: try row.int64("assignment_id"), account_id: try row.int64("account_id"),
            instance_id: try row.int64("instance_id"), username: try row.string("username"),
            classification_id: try row.int64("classification_id"), classification_code: try row.string("code"),
            rule_id: try row.optionalInt64("rule_id"), assignment_type: try row.string("assignment_type"),
            assigned_by: try row.optionalString("assigned_by"), assigned_at: Timestamp.iso8601(millis: try row.int64("assigned_at")))
    }

    /// Assignments filtered by account, class and type; `instances` limits them to those instances (nil: fleet).
    static func page(
        accountId: Int64?, classificationId: Int64?, type: String?, instances: Set<Int64>?, offset: Int, limit: Int,
        on db: any SQLDatabase
    ) async throws -> (items: [AssignmentView], total: Int) {
        var conditions: [SQLQueryString] = ["1 = 1"]
        if let accountId { conditions.append("x.account_id = \(bind: accountId)") }
        if let classificationId { conditions.append("x.classification_id = \(bind: classificationId)") }
        if let type { conditions.append("x.assignment_type = \(bind: type)") }
        if let instances { conditions.append(instances.isEmpty ? "1 = 0" : "a.instance_id IN (\(binds: Array(instances)))") }
        return try await OffsetPageQuery(columns: columns, from: from, filter: conditions.joined(separator: " AND "), orderBy: "x.assignment_id")
            .run(on: db, limit: limit, offset: offset, decode: decode)
    }

    static func find(_ id: Int64, on db: any SQLDatabase) async throws -> AssignmentView? {
        try await db.raw("SELECT \(columns) FROM \(from) WHERE x.assignment_id = \(bind: id)").first().map(decode)
    }

    static func find(accountId: Int64, classificationId: Int64, on db: any SQLDatabase) async throws -> AssignmentView? {
        try await db.raw(
            "SELECT \(columns) FROM \(from) WHERE x.account_id = \(bind: accountId) AND x.classification_id = \(bind: classificationId)"
        ).first().map(decode)
    }

    /// Makes an assignment manual (a person's word outranks a rule's).
    static func assignManually(accountId: Int64, classificationId: Int64, by user: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO account_classification_assignments (account_id, classification_id, rule_id, assignment_type, assigned_by, assigned_at)
            VALUES (\(bind: accountId), \(bind: classificationId), NULL, 'manual', \(bind: user), \(bind: now))
            ON CONFLICT (account_id, classification_id) DO UPDATE SET assignment_type = 'manual', rule_id = NULL,
                assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at
            """
        ).run()
    }

    static func delete(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM account_classification_assignments WHERE assignment_id = \(bind: id)").run()
    }

    /// The classes of these accounts, for ledger items.
    static func classes(of accountIds: [Int64], on db: any SQLDatabase) async throws -> [Int64: [AccountClassificationView]] {
        guard !accountIds.isEmpty else { return [:] }
        var found: [Int64: [AccountClassificationView]] = [:]
        for row in try await db.raw(
            """
            SELECT x.account_id, c.classification_id, c.code, c.display_name, c.risk_level, x.assignment_type
            FROM account_classification_assignments x JOIN account_classifications c ON c.classification_id = x.classification_id
            WHERE x.account_id IN (\(binds: accountIds)) ORDER BY c.risk_level, c.priority DESC, c.code
            """
        ).all() {
            found[try row.int64("account_id"), default: []].append(AccountClassificationView(
                classification_id: try row.int64("classification_id"), code: try row.string("code"),
                display_name: try row.string("display_name"), risk_level: try row.int("risk_level"),
                assignment_type: try row.string("assignment_type")))
        }
        return found
    }

    // MARK: Auto-classification

    /// Active accounts after `after` in id order, with their type and facts (one classification batch).
    static func facts(instanceId: Int64?, after: Int64, limit: Int, on db: any SQLDatabase) async throws -> [(id: Int64, dbType: String, facts: String)] {
        let scope: SQLQueryString = instanceId.map { "AND instance_id = \(bind: $0)" } ?? ""
        return try await db.raw(
            """
            SELECT account_id, db_type, facts FROM account_ledger
            WHERE is_active = \(bind: true) \(scope) AND account_id > \(bind: after) ORDER BY account_id LIMIT \(bind: limit)
            """
        ).all().map { (try $0.int64("account_id"), try $0.string("db_type"), try $0.string("facts")) }
    }

    /// Active accounts of one db_type with their names, in id order after `after` (the rule preview's scan).
    static func namedFacts(dbType: String, after: Int64, limit: Int, on db: any SQLDatabase) async throws
        -> [(id: Int64, instanceId: Int64, username: String, facts: String)]
    {
        try await db.raw(
            """
            SELECT account_id, instance_id, username, facts FROM account_ledger
            WHERE is_active = \(bind: true) AND db_type = \(bind: dbType) AND account_id > \(bind: after)
            ORDER BY account_id LIMIT \(bind: limit)
            """
        ).all().map { (try $0.int64("account_id"), try $0.int64("instance_id"), try $0.string("username"), try $0.string("facts")) }
    }

    static func existing(accountIds: [Int64], on db: any SQLDatabase) async throws -> [Existing] {
        guard !accountIds.isEmpty else { return [] }
        return try await db.raw(
            """
            SELECT assignment_id, account_id, classification_id, rule_id, assignment_type FROM account_classification_assignments
            WHERE account_id IN (\(binds: accountIds))
            """
        ).all().map {
            Existing(
                assignmentId: try $0.int64("assignment_id"), accountId: try $0.int64("account_id"),
                classificationId: try $0.int64("classification_id"), ruleId: try $0.optionalInt64("rule_id"),
                manual: try $0.string("assignment_type") == "manual")
        }
    }

    static func deleteAssignments(_ ids: [Int64], on db: any SQLDatabase) async throws {
        for start in stride(from: 0, to: ids.count, by: 1000) {
            let chunk = Array(ids[start..<min(start + 1000, ids.count)])
            try await db.raw("DELETE FROM account_classification_assignments WHERE assignment_id IN (\(binds: chunk))").run()
        }
    }

    static func insertAuto(_ rows: [(accountId: Int64, classificationId: Int64, ruleId: Int64)], now: Int64, on db: any SQLDatabase) async throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            let values: [SQLQueryString] = rows[start..<min(start + 500, rows.count)].map {
                "(\(bind: $0.accountId), \(bind: $0.classificationId), \(bind: $0.ruleId), 'auto', \(bind: now))"
            }
            try await db.raw(
                """
                INSERT INTO account_classification_assignments (account_id, classification_id, rule_id, assignment_type, assigned_at)
                VALUES \(values.joined(separator: ", ")) ON CONFLICT (account_id, classification_id) DO NOTHING
                """
            ).run()
        }
    }

    /// Auto assignments of accounts that are no longer active (dropped accounts hold no class a rule gave them).
    static func dropInactive(instanceId: Int64?, on db: any SQLDatabase) async throws {
        let scope: SQLQueryString = instanceId.map { "AND a.instance_id = \(bind: $0)" } ?? ""
        try await db.raw(
            """
            DELETE FROM account_classification_assignments WHERE assignment_type = 'auto' AND account_id IN (
                SELECT a.account_id FROM account_ledger a WHERE a.is_active = \(bind: false) \(scope))
            """
        ).run()
    }
}
