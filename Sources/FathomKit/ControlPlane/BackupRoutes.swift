import Hummingbird

/// Backups: `/v1/projects/{project_id}/instances/{instance_id}/backups` and `/v1/projects/{project_id}/backups/{backup_id}`.
struct BackupRoutes: RouteGroup {
    let plane: ControlPlane

    struct BackupBody: StrictBody {
        var kind: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case kind }
    }

    var endpoints: [Route] {
        [
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/backups", access: .project(.update), tag: "dbaas",
                summary: "Back up an instance", requestBody: Schemas.object(["kind": Schemas.enumeration(["full", "logical"])]),
                bodyRequired: false, successStatus: 202, create),
            Route(
                .get, "/v1/projects/{project_id}/instances/{instance_id}/backups", access: .project(.view), tag: "dbaas",
                summary: "An instance's backups", list),
            Route(.get, "/v1/projects/{project_id}/backups/{backup_id}", access: .project(.view), tag: "dbaas", summary: "A backup", get),
            Route(
                .delete, "/v1/projects/{project_id}/backups/{backup_id}", access: .project(.update), tag: "dbaas",
                summary: "Delete a backup and its files", successStatus: 202, delete),
        ]
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeOptionalJSON(BackupBody.self) ?? BackupBody(kind: nil)
        let (backup, operation) = try await plane.createBackup(
            principal, project: project, instanceId: try context.parameters.require("instance_id"), kind: body.kind)
        return try DBaaSResponse.resource("backup", BackupView(backup), operation: operation)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let backups = try await plane.listBackups(projectId: project.id, instanceId: try context.parameters.require("instance_id"))
        return try DBaaSResponse.list("backups", backups.map(BackupView.init))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let backup = try await plane.backup(try context.parameters.require("backup_id"), projectId: project.id)
        return try DBaaSResponse.resource("backup", BackupView(backup))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (backup, operation) = try await plane.deleteBackup(principal, project: project, id: try context.parameters.require("backup_id"))
        return try DBaaSResponse.resource("backup", BackupView(backup), operation: operation)
    }
}
