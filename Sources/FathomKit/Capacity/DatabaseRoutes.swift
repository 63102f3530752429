import Foundation
import Hummingbird

/// `/api/v1/databases/*` (databases contract): the ledger, collection, per-instance sizes and options, table sizes.
struct DatabaseRoutes: RouteGroup {
    struct OptionsPage: Encodable {
        var databases: [InventoryStore.DatabaseOption]
        var total_count: Int
        var page: Int
        var pages: Int
        var limit: Int
    }

    let ledger: LedgerQuery.Source
    let enqueue: @Sendable (NewJob) async throws -> Int64
    /// Where each instance runs (the asset ledger's `runs_on`), added to the ledger's items.
    let placements: InstancePlacements

    static let ledgerQuery: [(String, JSONValue)] = [
        ("search", Schemas.string), ("db_type", Schemas.string), ("instance_id", Schemas.integer),
        ("tags", ["type": "array", "items": Schemas.string]), ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    static let sizesQuery: [(String, JSONValue)] = [
        ("instance_id", Schemas.integer), ("start_date", Schemas.string), ("end_date", Schemas.string),
        ("database_name", Schemas.string), ("latest_only", Schemas.boolean), ("include_inactive", Schemas.boolean),
        ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/databases/ledgers", access: .scoped(.view), tag: "databases",
                summary: "Database ledger: every active database with its instance, latest size, freshness and tags",
                query: Self.ledgerQuery, response: CapacityResponses.ledger, cached: .perSecond, ledger),
            Route(.post, "/api/v1/databases/ledgers/actions/sync-all", access: .scoped(.update), tag: "databases",
                summary: "Collect the inventory and sizes of every instance now (a task run)", syncAll),
            Route(.get, "/api/v1/databases/options", access: .scoped(.view), tag: "databases",
                summary: "Databases of an instance, for pickers",
                query: [("instance_id", Schemas.integer), ("page", Schemas.integer), ("limit", Schemas.integer)],
                response: CapacityResponses.options, options),
            Route(.get, "/api/v1/databases/sizes", access: .scoped(.view), tag: "databases",
                summary: "Size history (or latest sizes) of an instance's databases",
                query: Self.sizesQuery, response: CapacityResponses.sizes, sizes),
            Route(.get, "/api/v1/databases/ledgers/exports", access: .scoped(.view), tag: "databases",
                summary: "The ledger as CSV (same filters; streamed; tags as repeated keys or a comma list)",
                query: Array(Self.ledgerQuery.prefix(4)), export),
        ]
    }

    func ledger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = try PageRequest.pageLimit(request.uri, defaultSize: 20, maxSize: 200)
        var (items, total) = try await LedgerQuery(source: ledger, query: QueryParameters(uri: request.uri, scope: context.tenantScope))
            .page(offset: page.offset, limit: page.size)
        let placed = await placements.of(items.map(\.instance.instance_id))
        for index in items.indices { items[index].runs_on = placed[items[index].instance.instance_id] }
        return try context.envelope(
            ItemsPage(items: items, total: total, page: page.page, limit: page.size), message: "Database ledger loaded")
    }

    func syncAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await CapacityJobs.enqueueCollect(scope: context.tenantScope, store: ledger.store, enqueue: enqueue)
        return try context.envelope(["run_id": id])
    }

    func options(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
        let instanceId = try query.requiredInt("instance_id")
        try await TenantScopeQuery.require(context.tenantScope, instanceId: instanceId, store: ledger.store)
        let page = try PageRequest.pageLimit(request.uri, defaultSize: 100, maxSize: 1000)
        let (databases, total) = try await ledger.store.read { db in
            guard try await InventoryStore.instanceExists(instanceId, on: db) else {
                throw AppError(.notFound, "Instance \(instanceId) not found")
            }
            return try await InventoryStore.databases(instanceId: instanceId, offset: page.offset, limit: page.size, on: db)
        }
        return try context.envelope(
            OptionsPage(databases: databases, total_count: total, page: page.page, pages: PageCount.pages(total: total, limit: page.size), limit: page.size),
            message: "Database options loaded")
    }

    func sizes(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
        let page = try PageRequest.pageLimit(request.uri, defaultSize: 100, maxSize: 1000)
        let result = try await SizeHistoryQuery(store: ledger.store, query: query).page(page)
        return try context.envelope(result, message: "Database sizes loaded")
    }

    func export(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try LedgerExport(
            query: LedgerQuery(source: ledger, query: QueryParameters(uri: request.uri, scope: context.tenantScope)), clock: ledger.clock,
            chinese: LedgerExport.prefersChinese(request.headers[.acceptLanguage])
        ).response()
    }

}
