import Hummingbird

/// Backups (`…/instances/{id}/backups`, `/v1/projects/{pid}/backups/{bid}`) and database users
/// (`…/instances/{id}/users`).
struct BackupAndUserRoutes {
    let plane: ControlPlane

    struct BackupBody: StrictBody {
        var kind: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case kind }
    }

    struct BackupAccepted: Encodable {
        var backup: BackupView
        var operation: OperationView
    }

    struct BackupList: Encodable {
        var backups: [BackupView]
        var next_page_token: String
        var total_count: Int
    }

    struct UserAccepted: Encodable {
        var user: DatabaseUserView
        var operation: OperationView
    }

    struct UserList: Encodable {
        var users: [DatabaseUserView]
        var next_page_token: String
        var total_count: Int
    }

    func register(on routes: Routes) {
        let scope = InstanceRoutes(plane: plane).scope
        let instancePath = InstanceRoutes.base + "/{id}"
        var backupSpec = RouteSpec(
            .post, instancePath + "/backups", access: .project(.update), tag: "dbaas", summary: "Back up an instance",
            requestBody: Schemas.object(["kind": Schemas.enumeration(["full", "logical"])]), successStatus: 202)
        backupSpec.bodyRequired = false
        routes.add(backupSpec) { request, context in
            let (principal, project) = try await scope(context, .update)
            let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? false
            let body = hasBody ? try await request.decodeJSON(BackupBody.self) : BackupBody(kind: nil)
            let (backup, operation) = try await plane.createBackup(
                principal, project: project, instanceId: try context.parameters.require("id"), kind: body.kind)
            return try JSONCoding.response(BackupAccepted(backup: BackupView(backup), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(RouteSpec(.get, instancePath + "/backups", access: .project(.view), tag: "dbaas", summary: "An instance's backups")) { _, context in
            let (_, project) = try await scope(context, .view)
            let backups = try await plane.listBackups(projectId: project.id, instanceId: try context.parameters.require("id"))
            return try JSONCoding.response(BackupList(backups: backups.map(BackupView.init), next_page_token: "", total_count: backups.count))
        }

        routes.add(RouteSpec(.get, "/v1/projects/{pid}/backups/{bid}", access: .project(.view), tag: "dbaas", summary: "A backup")) { _, context in
            let (_, project) = try await scope(context, .view)
            return try JSONCoding.response(["backup": BackupView(try await plane.backup(try context.parameters.require("bid"), projectId: project.id))])
        }

        routes.add(
            RouteSpec(.delete, "/v1/projects/{pid}/backups/{bid}", access: .project(.update), tag: "dbaas",
                summary: "Delete a backup and its files", successStatus: 202)
        ) { _, context in
            let (principal, project) = try await scope(context, .update)
            let (backup, operation) = try await plane.deleteBackup(principal, project: project, id: try context.parameters.require("bid"))
            return try JSONCoding.response(BackupAccepted(backup: BackupView(backup), operation: OperationView(operation)), status: .accepted)
        }

        let privileges: JSONValue = ["type": "object", "additionalProperties": ["type": "array", "items": Schemas.string]]
        let roles: JSONValue = ["type": "array", "items": Schemas.string]
        routes.add(
            RouteSpec(
                .post, instancePath + "/users", access: .project(.update), tag: "dbaas",
                summary: "Create a database user (a generated password is returned once)",
                requestBody: Schemas.object(
                    [
                        "name": Schemas.string, "password": Schemas.string, "roles": roles, "privileges": privileges,
                        "connection_limit": Schemas.integer, "login": Schemas.boolean,
                    ], required: ["name"]),
                successStatus: 202)
        ) { request, context in
            let (principal, project) = try await scope(context, .update)
            let body = try await request.decodeJSON(CreateUserBody.self)
            let (user, operation, generated) = try await plane.createUser(
                principal, project: project, instanceId: try context.parameters.require("id"), body)
            return try JSONCoding.response(
                UserAccepted(user: DatabaseUserView(user, password: generated), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(RouteSpec(.get, instancePath + "/users", access: .project(.view), tag: "dbaas", summary: "Database users (never with passwords)")) { _, context in
            let (_, project) = try await scope(context, .view)
            let users = try await plane.listUsers(projectId: project.id, instanceId: try context.parameters.require("id"))
            return try JSONCoding.response(UserList(users: users.map { DatabaseUserView($0) }, next_page_token: "", total_count: users.count))
        }

        routes.add(
            RouteSpec(
                .patch, instancePath + "/users/{uid}", access: .project(.update), tag: "dbaas",
                summary: "Change a database user's password (or generate one), login, roles, privileges, connection limit",
                requestBody: Schemas.object([
                    "password": Schemas.string, "generate_password": Schemas.boolean, "roles": roles, "privileges": privileges,
                    "connection_limit": Schemas.integer, "login": Schemas.boolean,
                ]),
                successStatus: 202)
        ) { request, context in
            let (principal, project) = try await scope(context, .update)
            let body = try await request.decodeJSON(UpdateUserBody.self)
            let (user, operation, generated) = try await plane.updateUser(
                principal, project: project, instanceId: try context.parameters.require("id"),
                userId: try context.parameters.require("uid"), body)
            return try JSONCoding.response(
                UserAccepted(user: DatabaseUserView(user, password: generated), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(
            RouteSpec(.delete, instancePath + "/users/{uid}", access: .project(.update), tag: "dbaas",
                summary: "Drop a database user", successStatus: 202)
        ) { _, context in
            let (principal, project) = try await scope(context, .update)
            let (user, operation) = try await plane.deleteUser(
                principal, project: project, instanceId: try context.parameters.require("id"), userId: try context.parameters.require("uid"))
            return try JSONCoding.response(UserAccepted(user: DatabaseUserView(user), operation: OperationView(operation)), status: .accepted)
        }
    }
}
