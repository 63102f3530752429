import Hummingbird

/// Applies the per-principal budgets to API routes and reports them in `X-RateLimit-*` headers,
/// on errors as well as on successes.
struct RateLimitMiddleware: RouterMiddleware {
    let limiter: RateLimiter
    let renderer: ErrorRenderer

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard ApiSurface.isAPI(request.uri.path) else { return try await next(request, context) }
        let key = context.principal?.rateLimitKey ?? "addr:" + (context.clientAddress ?? "unknown")
        let isWrite = ![.get, .head, .options].contains(request.method)
        let decision = try await limiter.consume(key: key, isWrite: isWrite)
        var response: Response
        if decision.allowed {
            do {
                response = try await next(request, context)
            } catch {
                response = renderer.response(for: error, request: request, context: context)
            }
        } else {
            var headers = HTTPFields()
            headers[.retryAfter] = String(decision.resetSeconds)
            response = renderer.response(
                for: AppError(.rateLimited, "Rate limit of \(decision.limit) requests per minute exceeded", headers: headers),
                request: request, context: context)
        }
        response.headers[.rateLimitLimit] = String(decision.limit)
        response.headers[.rateLimitRemaining] = String(decision.remaining)
        response.headers[.rateLimitReset] = String(decision.resetSeconds)
        return response
    }
}

/// Which paths belong to the two API surfaces.
enum ApiSurface {
    static func isAPI(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/") || path.hasPrefix("/v1/") || path == "/v1"
    }
}
