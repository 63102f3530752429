import Foundation
import Hummingbird

/// `GET /api/v1/audit-events` (admin): the ledger's audit log, newest first. There is no route that changes it.
struct AuditRoutes: RouteGroup {
    let audit: AuditLog

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/audit-events", access: .permission(.admin), tag: "assets",
                summary: "Audit log of ledger changes (filters type, actor, target, since as RFC 3339), newest first",
                query: [("type", Schemas.string), ("actor", Schemas.string), ("target", Schemas.string),
                        ("since", Schemas.string), ("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var since: Int64?
        if let text = query["since"] {
            guard let date = ISO8601DateFormatter().date(from: String(text)) else {
                throw AppError.invalid(field: "since", issue: "invalid", "since must be an RFC 3339 time such as 2026-01-27T12:00:00Z")
            }
            since = Int64(date.timeIntervalSince1970 * 1000)
        }
        let filter = AuditLog.Filter(
            type: query["type"].map(String.init), actor: query["actor"].map(String.init),
            target: query["target"].map(String.init), since: since)
        let page = PageRequest.assetLedger(request.uri)
        let result = try await audit.list(filter, offset: page.offset, limit: page.size)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }
}
