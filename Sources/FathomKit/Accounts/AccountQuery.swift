import Foundation
import SQLKit

/// The account ledger's filters and reads. Every read takes `instances`, the instance ids the caller may see
/// (nil: the whole fleet), so tenant scope is one more condition here and nowhere else.
struct AccountQuery: Sendable {
    struct Filter: Sendable {
        var search: String?
        var instanceId: Int64?
        var dbType: String?
        var classification: String?
        var superuser: Bool?
        var locked: Bool?
        var includeDeleted = false
        var tags: [String] = []
        /// Tenant scope: the instances the caller may see, nil for the fleet.
        var instances: Set<Int64>?

        init(query: QueryParameters, instances: Set<Int64>?) throws {
            search = query.string("search")
            instanceId = try query.int("instance_id")
            dbType = query.string("db_type").map { $0.lowercased() }.flatMap { $0 == "all" ? nil : $0 }
            classification = query.string("classification").flatMap { $0 == "all" ? nil : $0 }
            superuser = try query.string("is_superuser") == nil ? nil : query.bool("is_superuser", default: false)
            locked = try query.string("is_locked") == nil ? nil : query.bool("is_locked", default: false)
            includeDeleted = try query.bool("include_deleted", default: false)
            tags = query.list("tags")
            self.instances = instances
        }

        var sql: SQLQueryString {
            var conditions: [SQLQueryString] = []
            if !includeDeleted { conditions.append("a.is_active = \(bind: true)") }
            if let instances { conditions.append(instances.isEmpty ? "1 = 0" : "a.instance_id IN (\(binds: Array(instances)))") }
            if let instanceId { conditions.append("a.instance_id = \(bind: instanceId)") }
            if let dbType { conditions.append("a.db_type = \(bind: dbType)") }
            if let superuser { conditions.append("a.is_superuser = \(bind: superuser)") }
            if let locked { conditions.append("a.is_locked = \(bind: locked)") }
            if let search { conditions.append("LOWER(a.username) LIKE \(bind: "%" + search.lowercased() + "%")") }
            if let classification {
                conditions.append(
                    """
                    EXISTS (SELECT 1 FROM account_classification_assignments x JOIN account_classifications c
                        ON c.classification_id = x.classification_id WHERE x.account_id = a.account_id AND c.code = \(bind: classification))
                    """)
            }
            if !tags.isEmpty {
                // Any of the tags, as the database ledger reads them: `key` or `key:value` of the instance's labels.
                let matches: [SQLQueryString] = tags.map { tag in
                    let parts = tag.split(separator: ":", maxSplits: 1).map(String.init)
                    return parts.count == 2 ? "(l.key = \(bind: parts[0]) AND l.value = \(bind: parts[1]))" : "l.key = \(bind: tag)"
                }
                conditions.append("EXISTS (SELECT 1 FROM instance_labels l WHERE l.instance_id = a.instance_id AND (\(matches.joined(separator: " OR "))))")
            }
            return conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND ")
        }
    }

    struct Row: Sendable {
        var accountId: Int64
        var instanceId: Int64
        var dbType: String
        var username: String
        var isActive: Bool
        var isSuperuser: Bool
        var isLocked: Bool
        var facts: String
        var firstSeenAt: Int64
        var lastSeenAt: Int64
        var lastChangeAt: Int64?
        var deletedAt: Int64?
    }

    static let columns: SQLQueryString = """
        a.account_id, a.instance_id, a.db_type, a.username, a.is_active, a.is_superuser, a.is_locked, a.facts, a.first_seen_at,
        a.last_seen_at, a.last_change_at, a.deleted_at
        """

    static func decode(_ row: any SQLRow) throws -> Row {
        Row(
            accountId: try row.int64("account_id"), instanceId: try row.int64("instance_id"), dbType: try row.string("db_type"),
            username: try row.string("username"), isActive: try row.bool("is_active"), isSuperuser: try row.bool("is_superuser"),
            isLocked: try row.bool("is_locked"), facts: try row.string("facts"), firstSeenAt: try row.int64("first_seen_at"),
            lastSeenAt: try row.int64("last_seen_at"), lastChangeAt: try row.optionalInt64("last_change_at"),
            deletedAt: try row.optionalInt64("deleted_at"))
    }

    static func page(_ filter: Filter, offset: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [Row], total: Int) {
        try await OffsetPageQuery(columns: columns, from: "account_ledger a", filter: filter.sql, orderBy: "a.instance_id, a.username")
            .run(on: db, limit: limit, offset: offset, decode: decode)
    }

    /// The next rows after `afterId` in id order (the export's constant-memory batches).
    static func batch(_ filter: Filter, after afterId: Int64, limit: Int, on db: any SQLDatabase) async throws -> [Row] {
        try await db.raw(
            "SELECT \(columns) FROM account_ledger a WHERE \(filter.sql) AND a.account_id > \(bind: afterId) ORDER BY a.account_id LIMIT \(bind: limit)"
        ).all().map(decode)
    }

    /// Where an account lives, for the permission lookup (which the cache then answers); nil when unknown or not
    /// visible to the caller.
    static func locate(_ accountId: Int64, instances: Set<Int64>?, on db: any SQLDatabase) async throws -> (instanceId: Int64, username: String)? {
        guard let row = try await db.raw(
            "SELECT instance_id, username FROM account_ledger WHERE account_id = \(bind: accountId)"
        ).first() else { return nil }
        let instanceId = try row.int64("instance_id")
        if let instances, !instances.contains(instanceId) { return nil }
        return (instanceId, try row.string("username"))
    }

    /// The whole stored record of an account by instance and name (what a cache miss reads).
    static func permissions(instanceId: Int64, username: String, on db: any SQLDatabase) async throws -> CachedPermissions? {
        guard let row = try await db.raw(
            """
            SELECT account_id, db_type, is_active, permissions, facts FROM account_ledger
            WHERE instance_id = \(bind: instanceId) AND username = \(bind: username)
            """
        ).first() else { return nil }
        let permissions = try row.string("permissions")
        let facts = try row.string("facts")
        let decoder = JSONDecoder()
        return CachedPermissions(
            accountId: try row.int64("account_id"), instanceId: instanceId, username: username, dbType: try row.string("db_type"),
            isActive: try row.bool("is_active"),
            snapshot: try decoder.decode(PermissionSnapshot.self, from: Data(permissions.utf8)),
            facts: try decoder.decode(AccountFacts.self, from: Data(facts.utf8)), bytes: permissions.utf8.count + facts.utf8.count)
    }

    static func instanceExists(_ id: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT 1 AS one FROM instances WHERE instance_id = \(bind: id) AND state <> 'DELETED'").first() != nil
    }

    static func activeInstanceCount(on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM instances WHERE state <> 'DELETED'").first()?.int("n") ?? 0
    }

    static func accountExists(_ id: Int64, instances: Set<Int64>?, on db: any SQLDatabase) async throws -> Bool {
        try await locate(id, instances: instances, on: db) != nil
    }
}
