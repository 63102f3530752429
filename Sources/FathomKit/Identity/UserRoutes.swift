import Hummingbird

/// `/api/v1/users`: user management for admins — create, list, read, change role, disable, reset password.
struct UserRoutes: RouteGroup {
    let identity: Identity

    struct CreateBody: StrictBody {
        var username: String
        var password: String
        var role: Role
        enum CodingKeys: String, CodingKey, CaseIterable { case username, password, role }
    }

    struct UpdateBody: StrictBody {
        var role: Role?
        var disabled: Bool?
        var password: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case role, disabled, password }
    }

    static let roleSchema = Schemas.enumeration(Role.allCases.map(\.rawValue))

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/users", access: .permission(.admin), tag: "users", summary: "List users",
                query: [("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
            Route(.post, "/api/v1/users", access: .permission(.admin), tag: "users", summary: "Create a user",
                requestBody: Schemas.object( ["username": Schemas.string, "password": Schemas.string, "role": Self.roleSchema], required: ["username", "password", "role"]),
                successStatus: 201, create),
            Route(.get, "/api/v1/users/{user_id}", access: .permission(.admin), tag: "users", summary: "Get a user",
                get),
            Route(.patch, "/api/v1/users/{user_id}", access: .permission(.admin), tag: "users",
                summary: "Change a user's role, disable/enable it (disabling ends its sessions and tokens) or reset its password",
                requestBody: Schemas.object( ["role": Self.roleSchema, "disabled": Schemas.boolean, "password": Schemas.string]),
                update),
            Route(.post, "/api/v1/users/{user_id}/actions/unlock", access: .permission(.admin), tag: "users",
                summary: "Clear the user's sign-in throttle on every address", unlock),
        ]
    }

    func unlock(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await identity.unlockUser(id: try context.parameters.require("user_id"))
        return try context.envelope(["unlocked": true])
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = PageRequest.assetLedger(request.uri)
        async let total = identity.users.count()
        let users = try await identity.users.list(offset: page.offset, limit: page.size)
        return try context.paged(
            users.map(UserView.init), pagination: Pagination(page: page.page, pageSize: page.size, total: try await total))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateBody.self)
        let user = try await identity.createUser(username: body.username, password: body.password, role: body.role)
        return try context.envelope(UserView(user), status: .created)
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("user_id")
        guard let user = try await identity.users.find(id: id) else {
            throw AppError(.notFound, "User '\(id)' not found")
        }
        return try context.envelope(UserView(user))
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("user_id")
        let body = try await request.decodeJSON(UpdateBody.self)
        if body.role == nil && body.disabled == nil && body.password == nil {
            throw AppError.invalid(field: "body", issue: "empty", "give at least one of role, disabled, password")
        }
        if let password = body.password {
            try Credentials.validatePassword(password)
        }
        var user = try await identity.updateUser(
            id: id, role: body.role, disabled: body.disabled, actor: context.principal)
        if let password = body.password {
            try await identity.resetPassword(id: id, password: password)
            user = try await identity.users.find(id: id) ?? user
        }
        return try context.envelope(UserView(user))
    }

}
