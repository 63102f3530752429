import Hummingbird

/// Database users of an instance: `/v1/projects/{project_id}/instances/{instance_id}/users[/{db_user_id}]`.
struct DatabaseUserRoutes: RouteGroup {
    let plane: ControlPlane

    static let privileges: JSONValue = [
        "type": "object", "additionalProperties": ["type": "array", "items": Schemas.enumeration(["CONNECT", "CREATE", "TEMPORARY"])],
        "description": "Database name → privileges on it. CREATE also lets the user create tables in the database's public schema.",
        "example": ["reports": ["CONNECT"], "app": ["CONNECT", "CREATE", "TEMPORARY"]],
    ]
    static let roles: JSONValue = [
        "type": "array", "items": Schemas.string, "description": "Roles (other database users) this user is a member of.",
        "example": ["app_owner"],
    ]
    /// Databases the user may work in (CONNECT, CREATE, TEMPORARY and tables in `public`).
    static let databases: JSONValue = [
        "type": "array", "items": Schemas.string,
        "description": "Databases the user may connect to and create tables in (shorthand for CONNECT, CREATE, TEMPORARY).",
        "example": ["reports"],
    ]
    static let createBody = Schemas.object(
        [
            "name": Schemas.string, "password": Schemas.string, "roles": roles, "privileges": privileges,
            "databases": databases, "connection_limit": Schemas.integer, "login": Schemas.boolean,
        ], required: ["name"])
    static let updateBody = Schemas.object([
        "password": Schemas.string, "generate_password": Schemas.boolean, "roles": roles, "privileges": privileges,
        "databases": databases, "connection_limit": Schemas.integer, "login": Schemas.boolean,
    ])

    var endpoints: [Route] {
        [
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/users", access: .project(.update), tag: "dbaas",
                summary: "Create a database user (a generated password is returned once)", requestBody: Self.createBody,
                successStatus: 202, create),
            Route(
                .get, "/v1/projects/{project_id}/instances/{instance_id}/users", access: .project(.view), tag: "dbaas",
                summary: "Database users (never with passwords)", list),
            Route(
                .patch, "/v1/projects/{project_id}/instances/{instance_id}/users/{db_user_id}", access: .project(.update),
                tag: "dbaas",
                summary: "Change a database user's password (or generate one), login, roles, privileges, connection limit",
                requestBody: Self.updateBody, successStatus: 202, update),
            Route(
                .delete, "/v1/projects/{project_id}/instances/{instance_id}/users/{db_user_id}", access: .project(.update),
                tag: "dbaas", summary: "Drop a database user", successStatus: 202, delete),
        ]
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(CreateUserBody.self)
        let (user, operation, generated) = try await plane.createUser(
            principal, project: project, instanceId: try context.parameters.require("instance_id"), body)
        return try DBaaSResponse.resource("user", DatabaseUserView(user, password: generated), operation: operation)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let users = try await plane.listUsers(projectId: project.id, instanceId: try context.parameters.require("instance_id"))
        return try DBaaSResponse.list("users", users.map { DatabaseUserView($0) })
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(UpdateUserBody.self)
        let (user, operation, generated) = try await plane.updateUser(
            principal, project: project, instanceId: try context.parameters.require("instance_id"),
            userId: try context.parameters.require("db_user_id"), body)
        return try DBaaSResponse.resource("user", DatabaseUserView(user, password: generated), operation: operation)
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (user, operation) = try await plane.deleteUser(
            principal, project: project, instanceId: try context.parameters.require("instance_id"),
            userId: try context.parameters.require("db_user_id"))
        return try DBaaSResponse.resource("user", DatabaseUserView(user), operation: operation)
    }
}
