import Foundation
import Hummingbird

/// `/api/v1/databases/*` (databases contract): the ledger, collection, per-instance sizes and options, table sizes.
struct DatabaseRoutes: RouteGroup {
    let ledger: LedgerQuery.Source
    let enqueue: @Sendable (NewJob) async throws -> Int64

    static let ledgerQuery: [(String, JSONValue)] = [
        ("search", Schemas.string), ("db_type", Schemas.string), ("instance_id", Schemas.integer),
        ("tags", ["type": "array", "items": Schemas.string]), ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/databases/ledgers", access: .scoped(.view), tag: "databases",
                summary: "Database ledger: every active database with its instance, latest size, freshness and tags",
                query: Self.ledgerQuery, ledger),
            Route(.post, "/api/v1/databases/ledgers/actions/sync-all", access: .scoped(.update), tag: "databases",
                summary: "Collect the inventory and sizes of every instance now (a task run)", syncAll),
            Route(.get, "/api/v1/databases/options", access: .scoped(.view), tag: "databases",
                summary: "Databases of an instance, for pickers",
                query: [("instance_id", Schemas.integer), ("page", Schemas.integer), ("limit", Schemas.integer)], options),
            Route(.get, "/api/v1/databases/sizes", access: .scoped(.view), tag: "databases",
                summary: "Size history (or latest sizes) of an instance's databases",
                query: [("instance_id", Schemas.integer), ("start_date", Schemas.string), ("end_date", Schemas.string), ("database_name", Schemas.string), ("latest_only", Schemas.boolean), ("include_inactive", Schemas.boolean), ("page", Schemas.integer), ("limit", Schemas.integer)],
                sizes),
            Route(.get, "/api/v1/databases/ledgers/exports", access: .scoped(.view), tag: "databases",
                summary: "The ledger as CSV (same filters; streamed; tags as repeated keys or a comma list)",
                query: Array(Self.ledgerQuery.prefix(4)), export),
        ]
    }

    func ledger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        let (items, total) = try await LedgerQuery(source: ledger, query: QueryParameters(uri: request.uri, scope: context.tenantScope))
            .page(offset: page.offset, limit: page.size)
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func syncAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await CapacityJobs.enqueueCollect(scope: context.tenantScope, store: ledger.store, enqueue: enqueue)
        return try context.envelope(["run_id": id])
    }

    func options(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
        let instanceId = try query.requiredInt("instance_id")
        try await TenantScopeQuery.require(context.tenantScope, instanceId: instanceId, store: ledger.store)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 100, maxSize: 1000)
        let (databases, total) = try await ledger.store.read { db in
            try await InventoryStore.activeDatabases(instanceId: instanceId, offset: page.offset, limit: page.size, on: db)
        }
        let items: [[String: JSONValue]] = databases.map { ["database_id": .int($0.id), "database_name": .string($0.name)] }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func sizes(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 100, maxSize: 1000)
        let (items, total) = try await SizeHistoryQuery(store: ledger.store, query: query).page(offset: page.offset, limit: page.size)
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func export(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try LedgerExport(query: LedgerQuery(source: ledger, query: QueryParameters(uri: request.uri, scope: context.tenantScope)), clock: ledger.clock).response()
    }

}
