import Foundation

/// Reads of the account ledger: ledger items with their instance and classes, and permission lookups answered from
/// the cache when it has them.
public struct AccountService: Sendable {
    let store: Store
    let cache: AccountCache

    /// One account in the ledger.
    struct ItemView: Encodable, Sendable {
        var account_id: Int64
        var username: String
        var db_type: String
        var instance: LedgerInstanceView?
        var is_active: Bool
        var is_deleted: Bool
        var is_superuser: Bool
        var is_locked: Bool
        var capabilities: [String]
        var roles: [String]
        var classifications: [AccountClassificationView]
        var tags: [String]
        var first_seen_at: String
        var last_seen_at: String
        var last_change_at: String?
        var deleted_at: String?
    }

    func page(_ filter: AccountQuery.Filter, offset: Int, limit: Int) async throws -> (items: [ItemView], total: Int) {
        let (rows, total) = try await store.read { db in try await AccountQuery.page(filter, offset: offset, limit: limit, on: db) }
        return (try await items(rows), total)
    }

    func batch(_ filter: AccountQuery.Filter, after: Int64, limit: Int) async throws -> [ItemView] {
        let rows = try await store.read { db in try await AccountQuery.batch(filter, after: after, limit: limit, on: db) }
        return try await items(rows)
    }

    /// Views of `rows`: instance details from the `instance` cache (read once per instance on a miss), classes in
    /// one query.
    func items(_ rows: [AccountQuery.Row]) async throws -> [ItemView] {
        let instances = try await instanceDetails(Set(rows.map(\.instanceId)))
        let classes = try await store.read { db in try await AssignmentStore.classes(of: rows.map(\.accountId), on: db) }
        let decoder = JSONDecoder()
        return rows.map { row in
            let facts = try? decoder.decode(AccountFacts.self, from: Data(row.facts.utf8))
            let instance = instances[row.instanceId]
            return ItemView(
                account_id: row.accountId, username: row.username, db_type: row.dbType, instance: instance?.view,
                is_active: row.isActive, is_deleted: !row.isActive, is_superuser: row.isSuperuser, is_locked: row.isLocked,
                capabilities: facts?.capabilities ?? [], roles: facts?.roles ?? [], classifications: classes[row.accountId] ?? [],
                tags: instance?.tags.map(\.name) ?? [], first_seen_at: Timestamp.iso8601(millis: row.firstSeenAt),
                last_seen_at: Timestamp.iso8601(millis: row.lastSeenAt), last_change_at: row.lastChangeAt.map(Timestamp.iso8601(millis:)),
                deleted_at: row.deletedAt.map(Timestamp.iso8601(millis:)))
        }
    }

    func instanceDetails(_ ids: Set<Int64>) async throws -> [Int64: LedgerQuery.InstanceDetails] {
        var found: [Int64: LedgerQuery.InstanceDetails] = [:]
        var missing: Set<Int64> = []
        for id in ids {
            if let cached = cache.instance(id) { found[id] = cached } else { missing.insert(id) }
        }
        guard !missing.isEmpty else { return found }
        let wanted = missing
        let read = try await store.read { db in try await LedgerQuery.details(wanted, on: db) }
        for (id, details) in read {
            cache.setInstance(id, details)
            found[id] = details
        }
        return found
    }

    /// An account's snapshot and facts by instance and name: from the cache, or from the store (then cached).
    func permissions(instanceId: Int64, username: String) async throws -> CachedPermissions? {
        if let cached = cache.permissions(instanceId: instanceId, username: username) { return cached }
        guard let read = try await store.read({ db in
            try await AccountQuery.permissions(instanceId: instanceId, username: username, on: db)
        }) else { return nil }
        cache.setPermissions(read)
        return read
    }

    /// What `/ledgers/{account_id}/permissions` answers.
    struct PermissionsView: Encodable, Sendable {
        var account_id: Int64
        var instance_id: Int64
        var username: String
        var db_type: String
        var is_active: Bool
        var snapshot: PermissionSnapshot
        var facts: AccountFacts
    }

    func permissions(accountId: Int64, instances: Set<Int64>?) async throws -> PermissionsView {
        guard let location = try await store.read({ db in try await AccountQuery.locate(accountId, instances: instances, on: db) }),
            let found = try await permissions(instanceId: location.instanceId, username: location.username)
        else { throw AppError(.notFound, "Account \(accountId) not found") }
        return PermissionsView(
            account_id: found.accountId, instance_id: found.instanceId, username: found.username, db_type: found.dbType,
            is_active: found.isActive, snapshot: found.snapshot, facts: found.facts)
    }
}
