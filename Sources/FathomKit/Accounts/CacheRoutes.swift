import Foundation
import Hummingbird

/// `/api/v1/cache/*` (cache contract): statistics and the clear actions. Every clear really evicts and says how
/// many entries it removed on this replica; the other replicas are told to do the same.
struct CacheRoutes: RouteGroup {
    let cache: AccountCache
    let store: Store

    struct UserBody: StrictBody {
        var instance_id: Int64?
        var username: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case instance_id, username }
    }

    struct InstanceBody: StrictBody {
        var instance_id: Int64?
        enum CodingKeys: String, CodingKey, CaseIterable { case instance_id }
    }

    struct ClassificationBody: StrictBody {
        var db_type: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case db_type }
    }

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/cache/stats", access: .authenticated, tag: "cache",
                summary: "Cache statistics: status, limits and per-namespace entries, hits, misses, evictions, hit ratio, memory", stats),
            Route(.post, "/api/v1/cache/actions/clear-user", access: .permission(.admin), tag: "cache",
                summary: "Evict one account's cached permissions",
                requestBody: Schemas.object(["instance_id": Schemas.integer, "username": Schemas.string], required: ["instance_id", "username"]),
                clearUser),
            Route(.post, "/api/v1/cache/actions/clear-instance", access: .permission(.admin), tag: "cache",
                summary: "Evict everything cached for one instance",
                requestBody: Schemas.object(["instance_id": Schemas.integer], required: ["instance_id"]), clearInstance),
            Route(.post, "/api/v1/cache/actions/clear-all", access: .permission(.admin), tag: "cache",
                summary: "Evict everything cached for every instance; cleared_count is the entries removed", bodyRequired: false, clearAll),
            Route(.post, "/api/v1/cache/actions/clear-classification", access: .permission(.update), tag: "cache",
                summary: "Evict cached classification rules (one db_type, or all)",
                requestBody: Schemas.object(["db_type": Schemas.lenientEnumeration(RuleExpression.dbTypes)]), bodyRequired: false,
                clearClassification),
            Route(.get, "/api/v1/cache/classification/stats", access: .permission(.view), tag: "cache",
                summary: "Classification rule cache: statistics and rules cached per db_type", classificationStats),
        ]
    }

    func stats(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(["stats": CacheStatsView(cache)])
    }

    func clearUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(UserBody.self)
        var issues: [FieldIssue] = []
        if (body.instance_id ?? 0) < 1 {
            issues.append(.init(field: "instance_id", issue: body.instance_id == nil ? "required" : "invalid", message: "instance_id must be a positive integer"))
        }
        let username = body.username?.trimmingCharacters(in: .whitespaces) ?? ""
        if username.isEmpty { issues.append(.init(field: "username", issue: "required", message: "username must not be blank")) }
        if !issues.isEmpty { throw AppError.invalid(issues) }
        let instanceId = body.instance_id!
        try await requireInstance(instanceId)
        let cleared = await cache.invalidate(.user(instanceId: instanceId, username: username))
        return try context.envelope(["instance_id": .int(instanceId), "username": .string(username), "cleared_count": .int(Int64(cleared))] as JSONValue)
    }

    func clearInstance(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(InstanceBody.self)
        guard let instanceId = body.instance_id, instanceId >= 1 else {
            throw AppError.invalid(field: "instance_id", issue: body.instance_id == nil ? "required" : "invalid", "instance_id must be a positive integer")
        }
        try await requireInstance(instanceId)
        let cleared = await cache.invalidate(.instance(instanceId))
        return try context.envelope(["instance_id": .int(instanceId), "cleared_count": .int(Int64(cleared))] as JSONValue)
    }

    func clearAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let instances = try await store.read { db in try await AccountQuery.activeInstanceCount(on: db) }
        let cleared = await cache.invalidate(.allInstances)
        return try context.envelope(["cleared_count": .int(Int64(cleared)), "instance_count": .int(Int64(instances))] as JSONValue)
    }

    func clearClassification(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeOptionalJSON(ClassificationBody.self)
        let raw = body?.db_type?.trimmingCharacters(in: .whitespaces)
        let dbType = try ClassificationService.normalizedDbType(raw?.isEmpty == true ? nil : raw)
        let cleared = await cache.invalidate(.classification(dbType: dbType))
        return try context.envelope(["db_type": dbType.map(JSONValue.string) ?? .null, "cleared_count": .int(Int64(cleared))] as JSONValue)
    }

    func classificationStats(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var perType: [String: JSONValue] = [:]
        for dbType in RuleExpression.dbTypes {
            // Peek without counting a hit or miss: looking at the statistics must not change them.
            let cached = cache.storage.peek(AccountCache.Namespace.classification_rules.rawValue, dbType, as: [CompiledRule].self)
            perType[dbType] = ["rules_cached": .bool(cached != nil), "rules_count": .int(Int64(cached?.count ?? 0))]
        }
        let stats = cache.stats()[AccountCache.Namespace.classification_rules.rawValue] ?? .init()
        return try context.envelope([
            "cache_stats": NamespaceStatsView(stats).json, "db_type_stats": .object(perType), "cache_enabled": .bool(cache.enabled),
        ] as JSONValue)
    }

    private func requireInstance(_ id: Int64) async throws {
        guard try await store.read({ db in try await AccountQuery.instanceExists(id, on: db) }) else {
            throw AppError(.notFound, "Instance \(id) not found")
        }
    }
}

/// One namespace's figures as the API shows them.
struct NamespaceStatsView: Encodable {
    var entries: Int
    var hits: Int
    var misses: Int
    var evictions: Int
    var expirations: Int
    var invalidations: Int
    var hit_ratio: Double
    var memory_bytes: Int

    init(_ stats: BoundedCache.Stats) {
        entries = stats.entries
        hits = stats.hits
        misses = stats.misses
        evictions = stats.evictions
        expirations = stats.expirations
        invalidations = stats.invalidations
        hit_ratio = (stats.hitRatio * 10_000).rounded() / 10_000
        memory_bytes = stats.bytes
    }

    var json: JSONValue { JSONValue.encode(self) }
}

/// `data.stats` of `/cache/stats`.
struct CacheStatsView: Encodable {
    var status: String
    var enabled: Bool
    var entries: Int
    var hits: Int
    var misses: Int
    var evictions: Int
    var hit_ratio: Double
    var memory_bytes: Int
    var max_entries: Int
    var max_memory_bytes: Int
    var ttl_seconds: Int64
    var namespaces: [String: NamespaceStatsView]

    init(_ cache: AccountCache) {
        let all = cache.stats()
        namespaces = all.mapValues(NamespaceStatsView.init)
        status = cache.enabled ? "ok" : "disabled"
        enabled = cache.enabled
        entries = all.values.reduce(0) { $0 + $1.entries }
        hits = all.values.reduce(0) { $0 + $1.hits }
        misses = all.values.reduce(0) { $0 + $1.misses }
        evictions = all.values.reduce(0) { $0 + $1.evictions }
        hit_ratio = hits + misses == 0 ? 0 : (Double(hits) / Double(hits + misses) * 10_000).rounded() / 10_000
        memory_bytes = cache.storage.totalBytes
        max_entries = cache.storage.limits.maxEntries
        max_memory_bytes = cache.storage.limits.maxBytes
        ttl_seconds = cache.storage.limits.ttlMillis / 1000
    }
}
