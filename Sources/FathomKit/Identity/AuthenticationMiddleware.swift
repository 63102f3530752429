import Hummingbird

/// Resolves the caller from `Authorization: Bearer …` or the `session` cookie on API paths. Routes decide
/// whether a principal is required; a credential that does not resolve is remembered as `authProblem`.
struct AuthenticationMiddleware: RouterMiddleware {
    let identity: Identity

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard ApiSurface.isAPI(request.uri.path) else { return try await next(request, context) }
        var context = context
        do {
            if let authorization = request.headers[.authorization] {
                guard authorization.lowercased().hasPrefix("bearer "),
                    case let secret = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces), !secret.isEmpty
                else {
                    throw AppError(.authUnauthorized, "Authorization must be 'Bearer <token>'")
                }
                context.principal = try await identity.principal(bearer: secret)
            } else if let session = request.cookies[SessionCookie.name]?.value, !session.isEmpty {
                context.principal = try await identity.principal(sessionId: session)
            }
        } catch let error as AppError {
            context.authProblem = error
        }
        context.logger[metadataKey: "user_id"] = context.principal.map { .string($0.userId) }
        return try await next(request, context)
    }
}

/// The `session` cookie's attributes (HttpOnly, SameSite=Lax, Secure over TLS).
enum SessionCookie {
    static let name = "session"

    static func set(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    static func clear(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }
}
