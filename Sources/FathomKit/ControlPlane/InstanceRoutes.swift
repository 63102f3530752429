import Hummingbird

/// `/v1/projects/{project_id}/instances`: create, list, read, change, delete, restart, fail over, restore.
struct InstanceRoutes: RouteGroup {
    let plane: ControlPlane
    /// Where each instance runs (the asset ledger's `runs_on`), shown by the read routes.
    let placements: InstancePlacements

    /// A backup to restore, a moment to restore to (from the latest base backup before it), or both.
    struct RestoreBody: StrictBody {
        var backup_id: String?
        var point_in_time: String?
        /// Restore into a new instance of this name instead, leaving this one untouched.
        var target_instance_name: String?
        /// With a logical backup and target_instance_name: the new instance's (newer) version.
        var version: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case backup_id, point_in_time, target_instance_name, version }
    }

    static let resources = Schemas.object(["cpu": Schemas.integer, "memory_gb": Schemas.integer, "storage_gb": Schemas.integer])
    static let labels: JSONValue = ["type": "object", "additionalProperties": Schemas.string]
    static let createBody = Schemas.object(
        [
            "name": Schemas.string, "engine": Schemas.string, "version": Schemas.string, "region": Schemas.string,
            "resources": resources, "provider": Schemas.string, "high_availability": Schemas.boolean, "labels": labels,
            "connection": Schemas.object(["host": Schemas.string, "port": Schemas.integer, "database": Schemas.string]),
            "credential": Schemas.object(["username": Schemas.string, "password": Schemas.string]),
            "database": Schemas.string, "user": Schemas.string, "backup_policy": BackupPolicyBody.schema,
        ], required: ["name", "engine"])
    static let updateBody = Schemas.object(
        [
            "name": Schemas.string, "labels": labels, "resources": resources, "high_availability": Schemas.boolean,
            "backup_policy": BackupPolicyBody.schema,
        ])
    static let restoreBody = Schemas.object([
        "backup_id": Schemas.string, "point_in_time": ["type": "string", "format": "date-time"], "target_instance_name": Schemas.string,
        "version": Schemas.string,
    ])

    var endpoints: [Route] {
        [
            Route(
                .post, "/v1/projects/{project_id}/instances", access: .project(.update), tag: "dbaas",
                summary: "Create an instance (202 with the operation)", requestBody: Self.createBody, successStatus: 202, create),
            Route(
                .get, "/v1/projects/{project_id}/instances", access: .project(.view), tag: "dbaas",
                summary: "List instances (cursor paging; filter engine|state|region|name|provider|labels.KEY; sort created_at|name|state)",
                query: CursorPage.queryParameters, list),
            Route(.get, "/v1/projects/{project_id}/instances/{instance_id}", access: .project(.view), tag: "dbaas", summary: "An instance", get),
            Route(
                .patch, "/v1/projects/{project_id}/instances/{instance_id}", access: .project(.update), tag: "dbaas",
                summary: "Rename, relabel, change the backup schedule/retention (200), or change resources / high availability / WAL archiving (202 with the operation)",
                requestBody: Self.updateBody, update),
            Route(
                .delete, "/v1/projects/{project_id}/instances/{instance_id}", access: .project(.update), tag: "dbaas",
                summary: "Delete an instance (backups are kept)", successStatus: 202, delete),
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/restart", access: .project(.update), tag: "dbaas",
                summary: "Restart", successStatus: 202, restart),
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/failover", access: .project(.update), tag: "dbaas",
                summary: "Promote the standby (409 without one)", successStatus: 202, failover),
            Route(
                .post, "/v1/projects/{project_id}/instances/{instance_id}/restore", access: .project(.update), tag: "dbaas",
                summary: "Restore from a backup, or to a point_in_time inside the instance's recoverable_window (422 outside it); with target_instance_name into a new instance (the answer names it)",
                requestBody: Self.restoreBody,
                successStatus: 202, restore),
        ]
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(CreateInstanceBody.self)
        let (instance, operation, defaultUser) = try await plane.createInstance(principal, project: project, body)
        // The default user's password is in this response only.
        let also: [String: JSONValue] = defaultUser.map { ["default_user": ["name": .string($0.name), "password": .string($0.password)]] } ?? [:]
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation, also: also)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let page = try await plane.listInstances(projectId: project.id, uri: request.uri)
        let placed = await placements.of(page.items.map(\.instanceId))
        return try DBaaSResponse.list("instances", page.map { InstanceView($0, runsOn: placed[$0.instanceId]) })
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let instance = try await plane.instance(try context.parameters.require("instance_id"), projectId: project.id)
        let placed = await placements.of([instance.instanceId])
        var view = InstanceView(instance, runsOn: placed[instance.instanceId])
        view.recoverable_window = try await plane.recoverableWindow(instance)
        view.archiving = await plane.providers.provider(instance.provider)?.archiveHealth(instance)
        return try DBaaSResponse.resource("instance", view)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(UpdateInstanceBody.self)
        let (instance, operation) = try await plane.updateInstance(
            principal, project: project, id: try context.parameters.require("instance_id"), body)
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation)
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (instance, operation) = try await plane.deleteInstance(
            principal, project: project, id: try context.parameters.require("instance_id"))
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation)
    }

    func restart(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (instance, operation) = try await plane.restartInstance(
            principal, project: project, id: try context.parameters.require("instance_id"))
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation)
    }

    func failover(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let (instance, operation) = try await plane.failoverInstance(
            principal, project: project, id: try context.parameters.require("instance_id"))
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation)
    }

    func restore(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(RestoreBody.self)
        if let name = body.target_instance_name {
            let (created, operation) = try await plane.restoreIntoNewInstance(
                principal, project: project, sourceId: try context.parameters.require("instance_id"), backupId: body.backup_id,
                pointInTime: body.point_in_time, name: name, version: body.version)
            return try DBaaSResponse.resource("instance", InstanceView(created), operation: operation)
        }
        if body.version != nil {
            throw AppError.invalid(field: "version", issue: "not_allowed", "version is only for a restore into a new instance (target_instance_name)")
        }
        let (instance, operation) = try await plane.restoreInstance(
            principal, project: project, id: try context.parameters.require("instance_id"), backupId: body.backup_id,
            pointInTime: body.point_in_time)
        return try DBaaSResponse.resource("instance", InstanceView(instance), operation: operation)
    }
}
