import Hummingbird

/// Databases of an instance: `/v1/projects/{project_id}/instances/{instance_id}/databases[/{database_name}]`.
struct ManagedDatabaseRoutes: RouteGroup {
    let plane: ControlPlane

    static let createBody = Schemas.object(
        [
            "name": Schemas.string, "owner": Schemas.string,
            "encoding": Schemas.enumeration(ControlPlane.encodings.sorted()), "locale": Schemas.string,
        ], required: ["name"])

    var endpoints: [Route] {
        [
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/databases", access: .project(.update), tag: "dbaas",
                summary: "Create a database owned by a database user (default: the instance's default user)",
                requestBody: Self.createBody, successStatus: 202, create),
            Route(
                .get, "/v1/projects/{project_id}/instances/{instance_id}/databases", access: .project(.view), tag: "dbaas",
                summary: "An instance's databases", list),
            Route(
                .get, "/v1/projects/{project_id}/instances/{instance_id}/databases/{database_name}", access: .project(.view),
                tag: "dbaas", summary: "A database", get),
            Route(
                .delete, "/v1/projects/{project_id}/instances/{instance_id}/databases/{database_name}",
                access: .project(.update), tag: "dbaas", summary: "Drop a database and everything in it", successStatus: 202,
                delete),
        ]
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(CreateDatabaseBody.self)
        let (database, operation) = try await plane.createManagedDatabase(
            principal, project: project, instanceId: try context.parameters.require("instance_id"), body)
        return try DBaaSResponse.resource("database", ManagedDatabaseView(database), operation: operation)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let databases = try await plane.listManagedDatabases(projectId: project.id, instanceId: try context.parameters.require("instance_id"))
        return try DBaaSResponse.list("databases", databases.map(ManagedDatabaseView.init))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let database = try await plane.managedDatabase(
            try context.parameters.require("database_name"), projectId: project.id,
            instanceId: try context.parameters.require("instance_id"))
        return try DBaaSResponse.resource("database", ManagedDatabaseView(database))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (database, operation) = try await plane.deleteManagedDatabase(
            principal, project: project, instanceId: try context.parameters.require("instance_id"),
            name: try context.parameters.require("database_name"))
        return try DBaaSResponse.resource("database", ManagedDatabaseView(database), operation: operation)
    }
}
