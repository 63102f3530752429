import Hummingbird

/// `/api/v1/auth/tokens`: bearer tokens for programs — create (secret shown once), list, revoke.
struct TokenRoutes: RouteGroup {
    let identity: Identity

    struct CreateBody: StrictBody {
        var name: String
        var role: Role?
        var projectId: String?
        var expiresInDays: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, role, projectId, expiresInDays }
    }

    struct CreatedView: Encodable {
        var token: APIToken
        /// The secret; shown only in this response.
        var secret: String
    }

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/auth/tokens", access: .authenticated, tag: "auth",
                summary: "Your API tokens (admins: all=true lists everyone's)",
                query: [("page", Schemas.integer), ("pageSize", Schemas.integer), ("all", Schemas.boolean)], list),
            Route(.post, "/api/v1/auth/tokens", access: .authenticated, tag: "auth",
                summary: "Create an API token; the secret is returned once",
                requestBody: Schemas.object( ["name": Schemas.string, "role": Schemas.enumeration(Role.allCases.map(\.rawValue)), "projectId": Schemas.string, "expiresInDays": Schemas.integer], required: ["name"]),
                successStatus: 201, create),
            Route(.post, "/api/v1/auth/tokens/actions/revoke-all", access: .authenticated, tag: "auth",
                summary: "Revoke all your API tokens at once (a password change keeps them)", revokeAll),
            Route(.delete, "/api/v1/auth/tokens/{token_id}", access: .authenticated, tag: "auth",
                summary: "Revoke an API token", successStatus: 204, revoke),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = PageRequest.assetLedger(request.uri)
        let all = try QueryParameters(uri: request.uri).bool("all", default: false)
        let result = try await identity.listTokens(
            for: principal, allUsers: all, offset: page.offset, limit: page.size)
        return try context.paged(result.items, pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateBody.self)
        // A token cannot mint tokens above its own ceiling or outside its project.
        guard let user = try await identity.users.find(id: principal.userId) else { throw AppError(.authUnauthorized) }
        var owner = user
        owner.role = principal.role
        if let bound = principal.projectId, body.projectId != bound {
            throw AppError(.authForbidden, "A project-bound token can only create tokens for project \(bound)")
        }
        let (token, secret) = try await identity.createToken(
            for: owner, name: body.name, role: body.role, projectId: body.projectId,
            expiresInDays: body.expiresInDays, memberCeiling: principal.projectCeiling)
        return try context.envelope(CreatedView(token: token, secret: secret), status: .created)
    }

    func revokeAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let revoked = try await identity.revokeAllTokens(of: try context.requirePrincipal())
        return try context.envelope(["revoked": revoked])
    }

    func revoke(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("token_id")
        try await identity.revokeToken(id: id, by: principal)
        return Response(status: .noContent)
    }

}
