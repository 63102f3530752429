import Foundation
import Hummingbird
import HummingbirdCore

/// Canonical assets (asset-ledger contract §6.1–§6.4): list, detail, source records, relation chain.
struct AssetRoutes: RouteGroup {
    let service: AssetService
    let export: AssetExport
    let audit: AuditLog
    let clock: WallClock

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/assets", access: .permission(.view), tag: "assets",
                summary: "Assets (merged ones only with status=merged), with the sources that report them",
                query: [("assetType", Schemas.enumeration(Asset.types)), ("sourceId", Schemas.string),
                        ("status", Schemas.enumeration(Asset.statuses)), ("q", Schemas.string),
                        ("sortBy", Schemas.enumeration(Array(Asset.sortFields.keys).sorted())),
                        ("sortOrder", Schemas.enumeration(["asc", "desc"])),
                        ("page", Schemas.integer), ("pageSize", Schemas.integer)], cached: .untilWrite, list),
            Route(.get, "/api/v1/assets/exports", access: .permission(.view), tag: "assets",
                summary: "The asset list (same filters) as CSV, streamed; audited",
                query: [("assetType", Schemas.enumeration(Asset.types)), ("sourceId", Schemas.string),
                        ("status", Schemas.enumeration(Asset.statuses)), ("q", Schemas.string)], exportCSV),
            Route(.get, "/api/v1/assets/{asset_uuid}", access: .permission(.view), tag: "assets",
                summary: "An asset: canonical-v1 merged across its sources (hand-kept fields win) and its source links", cached: .untilWrite, get),
            Route(.get, "/api/v1/assets/{asset_uuid}/source-records", access: .permission(.view), tag: "assets",
                summary: "The asset's records, newest first",
                query: [("sourceId", Schemas.string), ("runId", Schemas.string), ("page", Schemas.integer),
                        ("pageSize", Schemas.integer)], sourceRecords),
            Route(.get, "/api/v1/assets/{asset_uuid}/relations", access: .permission(.view), tag: "assets",
                summary: "The asset's relation chain (vm → host → cluster) with edge status and why edges are missing, and the edges that end at it (incoming: e.g. the database instances on a machine)",
                relations),
            Route(.get, "/api/v1/assets/{asset_uuid}/history", access: .permission(.view), tag: "assets",
                summary: "Field changes between a source's consecutive records, status changes, merges and hand edits, newest first",
                query: [("page", Schemas.integer), ("pageSize", Schemas.integer)], history),
        ]
    }

    /// The list filter from the query; shared with the CSV export so both select the same assets.
    static func filter(_ uri: URI) throws -> AssetStore.Filter {
        let query = uri.queryParameters
        var filter = AssetStore.Filter(
            assetType: try LedgerParams.oneOf(query["assetType"], name: "assetType", Asset.types),
            sourceId: query["sourceId"].map(String.init),
            status: try LedgerParams.oneOf(query["status"], name: "status", Asset.statuses),
            q: query["q"].map(String.init))
        if let sortBy = try LedgerParams.oneOf(query["sortBy"], name: "sortBy", Array(Asset.sortFields.keys).sorted()) {
            filter.sortColumn = Asset.sortFields[sortBy]!
            filter.descending = sortBy != "displayName"
        }
        if let order = try LedgerParams.oneOf(query["sortOrder"], name: "sortOrder", ["asc", "desc"]) {
            filter.descending = order == "desc"
        }
        return filter
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.list(try Self.filter(request.uri), page: page)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(try await service.detail(try context.parameters.require("asset_uuid")))
    }

    func sourceRecords(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.records(
            try context.parameters.require("asset_uuid"), sourceId: query["sourceId"].map(String.init),
            runId: query["runId"].map(String.init), page: page)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func relations(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(try await service.relations(try context.parameters.require("asset_uuid")))
    }

    func history(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.history(try context.parameters.require("asset_uuid"), page: page)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func exportCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let filter = try Self.filter(request.uri)  // bad filters are a JSON 400 before the CSV starts
        try await audit.record(
            "asset.exported", actor: try context.requirePrincipal(), target: ("assets", "export"),
            details: ["query": .string(request.uri.query ?? "")])
        let day = Timestamp.iso8601(millis: clock.millis()).prefix(10).replacingOccurrences(of: "-", with: "")
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"assets-\(day).csv\""],
            body: export.body(filter))
    }
}
