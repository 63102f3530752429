import Foundation
import Hummingbird

/// `/api/v1/account-change-logs`: the fleet's account changes, newest first.
struct AccountChangeLogRoutes: RouteGroup {
    let store: Store

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/account-change-logs", access: .permission(.view), tag: "accounts",
                summary: "Account changes found by syncs (add, modify_privilege, modify_other, delete)",
                query: [
                    ("change_type", Schemas.enumeration(ChangeType.allCases.map(\.rawValue))), ("instance_id", Schemas.integer),
                    ("account_id", Schemas.integer), ("search", Schemas.string), ("since", Schemas.string),
                    ("page", Schemas.integer), ("limit", Schemas.integer),
                ], changeLogs),
        ]
    }

    func changeLogs(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri)
        var filter = ChangeLogQuery.Filter(
            accountId: try query.int("account_id"), instanceId: try query.int("instance_id"), search: query.string("search"),
            instances: try await AccountScope.visibleInstances(context, store: store))
        if let type = query.string("change_type") {
            guard let parsed = ChangeType(rawValue: type.lowercased()) else {
                throw AppError.invalid(field: "change_type", issue: "invalid",
                    "change_type must be one of \(ChangeType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.changeType = parsed
        }
        filter.since = try Self.since(query)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        let chosen = filter
        let (items, total) = try await store.read { db in try await ChangeLogQuery.page(chosen, offset: page.offset, limit: page.size, on: db) }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    /// `since` as a date (`2026-01-27`, UTC midnight) or an RFC 3339 time.
    static func since(_ query: QueryParameters) throws -> Int64? {
        guard let text = query.string("since") else { return nil }
        if let day = BusinessCalendar.parseDay(text), let date = ISO8601DateFormatter().date(from: day + "T00:00:00Z") {
            return Millis.from(date)
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Millis.from(date) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Millis.from(date) }
        throw AppError.invalid(field: "since", issue: "invalid", "since must be a date YYYY-MM-DD or an RFC 3339 time")
    }
}
