import Foundation
import SQLKit

/// SQL for classifications, their rules (all versions) and assignments.
enum ClassificationStore {
    // MARK: Classifications

    static let classificationColumns: SQLQueryString = """
        c.classification_id, c.code, c.display_name, c.description, c.risk_level, c.priority, c.is_system, c.created_at, c.updated_at,
        (SELECT COUNT(*) FROM account_classification_rules r WHERE r.classification_id = c.classification_id
            AND r.superseded_by IS NULL AND r.deleted_at IS NULL) AS rule_count,
        (SELECT COUNT(*) FROM account_classification_assignments x WHERE x.classification_id = c.classification_id) AS account_count
        """

    static func decodeClassification(_ row: any SQLRow) throws -> ClassificationView {
        ClassificationView(
            classification_id: try row.int64("classification_id"), code: try row.string("code"),
            display_name: try row.string("display_name"), description: try row.string("description"),
            risk_level: try row.int("risk_level"), priority: try row.int("priority"), is_system: try row.bool("is_system"),
            rule_count: try row.int("rule_count"), account_count: try row.int("account_count"),
            created_at: Timestamp.iso8601(millis: try row.int64("created_at")),
            updated_at: Timestamp.iso8601(millis: try row.int64("updated_at")))
    }

    static func classifications(offset: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [ClassificationView], total: Int) {
        try await OffsetPageQuery(
            columns: classificationColumns, from: "account_classifications c", filter: "1 = 1",
            orderBy: "c.risk_level, c.priority DESC, c.code"
        ).run(on: db, limit: limit, offset: offset, decode: decodeClassification)
    }

    static func classification(_ id: Int64, on db: any SQLDatabase) async throws -> ClassificationView? {
        try await db.raw("SELECT \(classificationColumns) FROM account_classifications c WHERE c.classification_id = \(bind: id)")
            .first().map(decodeClassification)
    }

    static func codeExists(_ code: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT 1 AS one FROM account_classifications WHERE code = \(bind: code)").first() != nil
    }

    static func insertClassification(
        code: String, displayName: String, description: String, riskLevel: Int, priority: Int, now: Int64, on db: any SQLDatabase
    ) async throws -> Int64 {
        try await db.raw(
            """
            INSERT INTO account_classifications (code, display_name, description, risk_level, priority, is_system, created_at, updated_at)
            VALUES (\(bind: code), \(bind: displayName), \(bind: description), \(bind: riskLevel), \(bind: priority), \(bind: false),
                \(bind: now), \(bind: now))
            RETURNING classification_id
            """
        ).first()?.int64("classification_id") ?? 0
    }

    static func updateClassification(
        _ id: Int64, displayName: String, description: String, riskLevel: Int, priority: Int, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            UPDATE account_classifications SET display_name = \(bind: displayName), description = \(bind: description),
                risk_level = \(bind: riskLevel), priority = \(bind: priority), updated_at = \(bind: now)
            WHERE classification_id = \(bind: id)
            """
        ).run()
    }

    static func deleteClassification(_ id: Int64, on db: any SQLDatabase) async throws {
        // Old rule versions and deleted rules only keep history; they go with their class.
        try await db.raw("DELETE FROM account_classification_rules WHERE classification_id = \(bind: id)").run()
        try await db.raw("DELETE FROM account_classifications WHERE classification_id = \(bind: id)").run()
    }

    // MARK: Rules

    static let ruleColumns: SQLQueryString = """
        r.rule_id, r.rule_key, r.version, r.classification_id, c.code, r.db_type, r.rule_name, r.expression, r.is_active,
        r.superseded_by, r.deleted_at, r.created_by, r.created_at, r.updated_at
        """

    static func decodeRule(_ row: any SQLRow) throws -> RuleView {
        RuleView(
            rule_id: try row.int64("rule_id"), rule_key: try row.int64("rule_key"), version: try row.int("version"),
            classification_id: try row.int64("classification_id"), classification_code: try row.string("code"),
            db_type: try row.string("db_type"), rule_name: try row.string("rule_name"),
            rule_expression: JSONText.decode(try row.string("expression")), is_active: try row.bool("is_active"),
            superseded_by: try row.optionalInt64("superseded_by"), is_deleted: try row.optionalInt64("deleted_at") != nil,
            created_by: try row.optionalString("created_by"),
            created_at: Timestamp.iso8601(millis: try row.int64("created_at")),
            updated_at: Timestamp.iso8601(millis: try row.int64("updated_at")))
    }

    /// Rules filtered by type and class; current versions only unless `history`.
    static func rules(
        dbType: String?, classificationId: Int64?, history: Bool, offset: Int, limit: Int, on db: any SQLDatabase
    ) async throws -> (items: [RuleView], total: Int) {
        var conditions: [SQLQueryString] = []
        if !history { conditions.append("r.superseded_by IS NULL AND r.deleted_at IS NULL") }
        if let dbType { conditions.append("r.db_type = \(bind: dbType)") }
        if let classificationId { conditions.append("r.classification_id = \(bind: classificationId)") }
        return try await OffsetPageQuery(
            columns: ruleColumns,
            from: "account_classification_rules r JOIN account_classifications c ON c.classification_id = r.classification_id",
            filter: conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND "), orderBy: "r.rule_key, r.version"
        ).run(on: db, limit: limit, offset: offset, decode: decodeRule)
    }

    static func rule(_ id: Int64, on db: any SQLDatabase) async throws -> RuleView? {
        try await db.raw(
            """
            SELECT \(ruleColumns) FROM account_classification_rules r
            JOIN account_classifications c ON c.classification_id = r.classification_id WHERE r.rule_id = \(bind: id)
            """
        ).first().map(decodeRule)
    }

    /// Inserts a rule version; a first version names itself as its `rule_key`.
    static func insertRule(
        ruleKey: Int64?, version: Int, classificationId: Int64, dbType: String, name: String, expression: String, active: Bool,
        createdBy: String?, now: Int64, on db: any SQLDatabase
    ) async throws -> Int64 {
        let id = try await db.raw(
            """
            INSERT INTO account_classification_rules (rule_key, version, classification_id, db_type, rule_name, expression, is_active,
                created_by, created_at, updated_at)
            VALUES (\(bind: ruleKey ?? 0), \(bind: version), \(bind: classificationId), \(bind: dbType), \(bind: name),
                \(bind: expression), \(bind: active), \(bind: createdBy), \(bind: now), \(bind: now))
            RETURNING rule_id
            """
        ).first()?.int64("rule_id") ?? 0
        if ruleKey == nil {
            try await db.raw("UPDATE account_classification_rules SET rule_key = rule_id WHERE rule_id = \(bind: id)").run()
        }
        return id
    }

    static func supersede(_ id: Int64, by newId: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE account_classification_rules SET superseded_by = \(bind: newId), is_active = \(bind: false), updated_at = \(bind: now)
            WHERE rule_id = \(bind: id)
            """
        ).run()
        // Auto assignments made by the old version now belong to the new one (the next run re-evaluates them).
        try await db.raw("UPDATE account_classification_assignments SET rule_id = \(bind: newId) WHERE rule_id = \(bind: id)").run()
    }

    static func updateRule(_ id: Int64, name: String, active: Bool, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE account_classification_rules SET rule_name = \(bind: name), is_active = \(bind: active), updated_at = \(bind: now)
            WHERE rule_id = \(bind: id)
            """
        ).run()
    }

    /// Deletes a rule (kept as history) and the auto assignments it made.
    static func deleteRule(_ id: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE account_classification_rules SET deleted_at = \(bind: now), is_active = \(bind: false), updated_at = \(bind: now)
            WHERE rule_id = \(bind: id)
            """
        ).run()
        try await db.raw(
            "DELETE FROM account_classification_assignments WHERE rule_id = \(bind: id) AND assignment_type = 'auto'"
        ).run()
    }

    /// Current, active rule expressions of one db type (what the classifier evaluates).
    static func activeRules(dbType: String, on db: any SQLDatabase) async throws -> [(id: Int64, classificationId: Int64, expression: String)] {
        try await db.raw(
            """
            SELECT rule_id, classification_id, expression FROM account_classification_rules
            WHERE db_type = \(bind: dbType) AND is_active = \(bind: true) AND superseded_by IS NULL AND deleted_at IS NULL
            ORDER BY rule_id
            """
        ).all().map { (try $0.int64("rule_id"), try $0.int64("classification_id"), try $0.string("expression")) }
    }

    static func activeRuleCounts(on db: any SQLDatabase) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await db.raw(
            """
            SELECT db_type, COUNT(*) AS n FROM account_classification_rules
            WHERE is_active = \(bind: true) AND superseded_by IS NULL AND deleted_at IS NULL GROUP BY db_type
            """
        ).all() {
            counts[try row.string("db_type")] = try row.int("n")
        }
        return counts
    }

    static func inUse(_ classificationId: Int64, on db: any SQLDatabase) async throws -> (rules: Int, assignments: Int) {
        let row = try await db.raw(
            """
            SELECT (SELECT COUNT(*) FROM account_classification_rules WHERE classification_id = \(bind: classificationId)
                        AND superseded_by IS NULL AND deleted_at IS NULL) AS rules,
                   (SELECT COUNT(*) FROM account_classification_assignments WHERE classification_id = \(bind: classificationId)) AS assignments
            """
        ).first()
        return (try row?.int("rules") ?? 0, try row?.int("assignments") ?? 0)
    }
}
