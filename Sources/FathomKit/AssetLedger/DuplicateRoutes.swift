import Hummingbird

/// Duplicate candidates: pairs scored after every successful collect, for a person to merge or ignore.
struct DuplicateRoutes: RouteGroup {
    let service: DuplicateService

    static let statuses = ["open", "ignored", "merged"]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/duplicate-candidates", access: .permission(.view), tag: "assets",
                summary: "Duplicate candidates (default status=open), highest score first",
                query: [("status", Schemas.enumeration(Self.statuses)), ("assetType", Schemas.enumeration(["vm", "host"])),
                        ("level", Schemas.enumeration(["high", "medium"])), ("assetUuid", Schemas.string),
                        ("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
            Route(.post, "/api/v1/duplicate-candidates/{candidate_id}/ignore", access: .permission(.update), tag: "assets",
                summary: "Ignore an open candidate (later detections keep it ignored)", bodyRequired: false, ignore),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = DuplicateStore.Filter(
            status: try LedgerParams.oneOf(query["status"], name: "status", Self.statuses),
            assetType: try LedgerParams.oneOf(query["assetType"], name: "assetType", ["vm", "host"]),
            level: try LedgerParams.oneOf(query["level"], name: "level", ["high", "medium"]),
            assetUuid: query["assetUuid"].map(String.init))
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.list(filter, page: page)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func ignore(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(try await service.ignore(try context.parameters.require("candidate_id")))
    }
}
