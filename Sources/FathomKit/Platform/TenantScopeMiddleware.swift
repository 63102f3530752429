import HTTPTypes
import Hummingbird

/// Resolves `AppRequestContext.tenantScope` for `/api/v1` routes declared `.scoped(permission)`: the fleet for the
/// global roles (no store read), the permitted projects for tenants. Done here, once, so every fleet query and
/// action of the request filters by the same answer.
struct TenantScopeMiddleware: RouterMiddleware {
    let routes: RouteTable
    let access: ProjectAccess

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/v1/"), let principal = context.principal else {
            return try await next(request, context)
        }
        var context = context
        if !principal.isTenant {
            context.tenantScope = .fleet
        } else {
            if case .scoped(let permission)? = routes.spec(method: request.method, path: request.uri.path)?.access {
                context.tenantScope = try await access.scope(of: principal, permission)
            }
        }
        return try await next(request, context)
    }
}

extension RouteTable {
    /// The route a concrete request path resolves to; a literal segment wins over a `{…}` one, as in the router.
    func spec(method: HTTPRequest.Method, path: String) -> RouteSpec? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return all.filter { $0.method == method && Self.matches(template: $0.path, segments: segments) }
            .min { $0.pathParameters.count < $1.pathParameters.count }
    }
}
