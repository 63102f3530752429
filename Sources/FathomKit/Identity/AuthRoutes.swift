import Hummingbird

/// `/api/v1/auth/*`: sign-in, sign-out, the current user, password change, CSRF token (asset-ledger §2).
struct AuthRoutes: RouteGroup {
    let identity: Identity
    let configuration: FathomConfiguration

    struct LoginBody: StrictBody {
        var username: String
        var password: String
        enum CodingKeys: String, CodingKey, CaseIterable { case username, password }
    }

    struct PasswordBody: StrictBody {
        var currentPassword: String
        var newPassword: String
        enum CodingKeys: String, CodingKey, CaseIterable { case currentPassword, newPassword }
    }

    struct LoginView: Encodable {
        var userId: String
        var username: String
        var role: Role
        var permissions: [Permission]
        var csrfToken: String
    }

    var endpoints: [Route] {
        [
            Route(.post, "/api/v1/auth/login", access: .public, tag: "auth",
                summary: "Sign in; sets the session cookie and returns the CSRF token",
                requestBody: Schemas.object(["username": Schemas.string, "password": Schemas.string], required: ["username", "password"]),
                response: Self.signedIn(csrf: true), otherStatuses: [401], login),
            Route(.post, "/api/v1/auth/logout", access: .authenticated, tag: "auth",
                summary: "Sign out; ends the session", successStatus: 204, logout),
            Route(.get, "/api/v1/auth/me", access: .authenticated, tag: "auth", summary: "The signed-in user",
                response: Self.signedIn(csrf: false), me),
            Route(.put, "/api/v1/auth/password", access: .authenticated, tag: "auth",
                summary: "Change your password; ends your other sessions (API tokens stay: revoke them with POST /api/v1/auth/tokens/actions/revoke-all)",
                requestBody: Schemas.object(
                    ["currentPassword": Schemas.string, "newPassword": Schemas.string], required: ["currentPassword", "newPassword"]),
                changePassword),
            Route(.get, "/api/v1/auth/csrf-token", access: .authenticated, tag: "auth",
                summary: "The CSRF token to send as X-CSRFToken with cookie-authenticated writes (400 for a bearer token, which needs none)",
                response: Schemas.record(["csrfToken": Schemas.string]), csrfToken),
        ]
    }

    /// The signed-in user as login and `me` show it (login adds the CSRF token).
    static func signedIn(csrf: Bool) -> JSONValue {
        var fields: [String: JSONValue] = [
            "userId": Schemas.string, "username": Schemas.string, "role": Schemas.enumeration(Role.allCases.map(\.rawValue)),
            "permissions": Schemas.array(Schemas.enumeration(Permission.allCases.map(\.rawValue))),
        ]
        if csrf { fields["csrfToken"] = Schemas.string }
        return Schemas.record(fields)
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(LoginBody.self)
        let signIn = try await identity.login(
            username: body.username, password: body.password, address: context.clientAddress)
        var response = try context.envelope(
            LoginView(
                userId: signIn.user.id, username: signIn.user.username, role: signIn.user.role,
                permissions: Permission.allCases.filter(signIn.user.role.permissions.contains),
                csrfToken: signIn.csrfToken))
        response.headers[.setCookie] = SessionCookie.set(
            signIn.sessionId, maxAge: Int(configuration.sessionAbsoluteTimeout), secure: secure(context))
        return response
    }

    func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let principal = context.principal { try await identity.logout(principal) }
        var response = Response(status: .noContent)
        response.headers[.setCookie] = SessionCookie.clear(secure: secure(context))
        return response
    }

    func me(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try context.envelope(
            CurrentUserView(
                userId: principal.userId, username: principal.username, role: principal.role,
                permissions: Permission.allCases.filter(principal.role.permissions.contains)))
    }

    func changePassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(PasswordBody.self)
        try await identity.changePassword(principal, current: body.currentPassword, new: body.newPassword)
        return try context.envelope(["message": "Password updated successfully"])
    }

    func csrfToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let token = identity.csrfToken(for: principal) else {
            throw AppError(.configInvalidRequest, "Bearer-token requests need no CSRF token")
        }
        return try context.envelope(["csrfToken": token])
    }


    private func secure(_ context: AppRequestContext) -> Bool {
        switch configuration.cookieSecurity {
        case .always: return true
        case .never: return false
        case .auto: return context.isSecureTransport
        }
    }
}

