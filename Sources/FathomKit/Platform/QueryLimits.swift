import Hummingbird
import HummingbirdCore

/// Bounds on every query parameter of the API, checked before any route runs (so a list and its CSV export fail
/// alike, before a byte is streamed): at most `maxValues` values per parameter (repeated keys and comma lists
/// together, e.g. `tags`), `maxLength` characters per value (e.g. `search`), `maxParameters` parameters. Unbounded
/// filters became unbounded SQL (SQLite refuses more than a few hundred bound variables: a 500).
enum QueryLimits {
    static let maxValues = 50
    static let maxLength = 256
    static let maxParameters = 50
    /// Opaque cursors carry a signed filter: longer than a search term, still bounded.
    static let longValueLength = ["page_token": 4096, "filter": 1024]

    static func check(_ uri: URI) throws {
        let parameters = uri.queryParameters
        var counts: [String: Int] = [:]
        for (key, value) in parameters {
            let name = String(key)
            // The count first: a long comma list is reported as too many values, the more useful answer.
            counts[name, default: 0] += max(1, value.split(separator: ",").count)
            if counts[name]! > maxValues {
                throw AppError.invalid([
                    FieldIssue(field: name, issue: "too_many", message: "\(name) accepts at most \(maxValues) values", limit: maxValues)
                ])
            }
            let limit = longValueLength[name] ?? maxLength
            if value.count > limit {
                throw AppError.invalid([
                    FieldIssue(field: name, issue: "too_long", message: "\(name) may have at most \(limit) characters", limit: limit)
                ])
            }
        }
        if counts.count > maxParameters {
            throw AppError.invalid([
                FieldIssue(field: "query", issue: "too_many", message: "at most \(maxParameters) query parameters", limit: maxParameters)
            ])
        }
    }
}

/// Applies `QueryLimits` to `/api/v1` and `/v1`.
struct QueryLimitsMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/v1/") || path.hasPrefix("/v1/") { try QueryLimits.check(request.uri) }
        return try await next(request, context)
    }
}
