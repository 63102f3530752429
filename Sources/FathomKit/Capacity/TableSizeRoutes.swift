import Foundation
import Hummingbird

/// `/api/v1/databases/{database_id}/tables/sizes` and its refresh action.
struct TableSizeRoutes: RouteGroup {
    let sizes: TableSizes

    /// One table: the reference's fields (`size_mb` is the total with indexes and TOAST; `row_count` is the
    /// planner's estimate), then the byte figures.
    struct Item: Encodable {
        var schema_name: String
        var table_name: String
        var size_mb: Double
        var data_size_mb: Double
        var index_size_mb: Double
        var row_count: Int64
        var collected_at: String
        var total_bytes: Int64
        var data_bytes: Int64
        var index_bytes: Int64
    }

    struct Snapshot: Encodable {
        var tables: [Item]
        /// When the snapshot was last collected (null before the first refresh).
        @ExplicitNull var collected_at: String?
        var total: Int
        var page: Int
        var pages: Int
        var limit: Int
        var database_id: Int64
        var database_name: String
        var saved_count: Int?
        var deleted_count: Int?
        var elapsed_ms: Int64?
    }

    static let query: [(String, JSONValue)] = [
        ("schema_name", Schemas.string), ("table_name", Schemas.string), ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/databases/{database_id}/tables/sizes", access: .scoped(.view), tag: "databases",
                summary: "The last table-size snapshot of a database", query: Self.query, response: CapacityResponses.tables, list),
            Route(.post, "/api/v1/databases/{database_id}/tables/sizes/actions/refresh", access: .scoped(.update),
                tag: "databases", summary: "Collect table sizes now and return the new snapshot", query: Self.query, response: CapacityResponses.tables, refresh),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let database = try await sizes.database(try context.parameters.require("database_id"), scope: context.tenantScope)
        return try context.envelope(try await snapshot(database, request: request), message: "Table sizes loaded")
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let database = try await sizes.database(try context.parameters.require("database_id"), scope: context.tenantScope)
        let started = ContinuousClock.now
        let (saved, deleted) = try await sizes.refresh(database)
        let elapsed = ContinuousClock.now - started
        var result = try await snapshot(database, request: request)
        result.saved_count = saved
        result.deleted_count = deleted
        result.elapsed_ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return try context.envelope(result, message: "Table sizes refreshed")
    }

    private func snapshot(_ database: TableSizeStore.DatabaseRef, request: Request) async throws -> Snapshot {
        let query = QueryParameters(uri: request.uri)
        let page = try PageRequest.pageLimit(request.uri, defaultSize: 200, maxSize: 2000)
        let (rows, total, collected) = try await sizes.tables.page(
            databaseId: database.id, schema: query.string("schema_name"), tableContains: query.string("table_name"),
            offset: page.offset, limit: page.size)
        let items = rows.map { row in
            Item(
                schema_name: row.size.schema, table_name: row.size.table, size_mb: SizeFormat.megabytes(row.size.totalBytes),
                data_size_mb: SizeFormat.megabytes(row.size.dataBytes), index_size_mb: SizeFormat.megabytes(row.size.indexBytes),
                row_count: row.size.rowEstimate, collected_at: Timestamp.iso8601(millis: row.collectedAt),
                total_bytes: row.size.totalBytes, data_bytes: row.size.dataBytes, index_bytes: row.size.indexBytes)
        }
        return Snapshot(
            tables: items, collected_at: collected.map(Timestamp.iso8601(millis:)), total: total, page: page.page,
            pages: PageCount.pages(total: total, limit: page.size), limit: page.size, database_id: database.id,
            database_name: database.name)
    }
}
