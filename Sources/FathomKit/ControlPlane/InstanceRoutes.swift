import Hummingbird

/// `/v1/projects/{pid}/instances`: create, list, read, change, delete, restart, fail over, restore.
struct InstanceRoutes {
    let plane: ControlPlane

    struct Created: Encodable {
        var instance: InstanceView
        var operation: OperationView?
    }

    struct InstanceList: Encodable {
        var instances: [InstanceView]
        var next_page_token: String
        var total_count: Int
    }

    struct RestoreBody: StrictBody {
        var backup_id: String
        enum CodingKeys: String, CodingKey, CaseIterable { case backup_id }
    }

    static let base = "/v1/projects/{pid}/instances"

    func register(on routes: Routes) {
        let resources = Schemas.object(["cpu": Schemas.integer, "memory_gb": Schemas.integer, "storage_gb": Schemas.integer])
        let labels: JSONValue = ["type": "object", "additionalProperties": Schemas.string]
        routes.add(
            RouteSpec(
                .post, Self.base, access: .project(.update), tag: "dbaas", summary: "Create an instance (202 with the operation)",
                requestBody: Schemas.object(
                    [
                        "name": Schemas.string, "engine": Schemas.string, "version": Schemas.string, "region": Schemas.string,
                        "resources": resources, "provider": Schemas.string, "high_availability": Schemas.boolean,
                        "labels": labels,
                        "connection": Schemas.object(["host": Schemas.string, "port": Schemas.integer, "database": Schemas.string]),
                        "credential": Schemas.object(["username": Schemas.string, "password": Schemas.string]),
                    ], required: ["name", "engine"]),
                successStatus: 202)
        ) { request, context in
            let (principal, project) = try await scope(context, .update)
            let body = try await request.decodeJSON(CreateInstanceBody.self)
            let (instance, operation) = try await plane.createInstance(principal, project: project, body)
            return try JSONCoding.response(Created(instance: InstanceView(instance), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(
            RouteSpec(
                .get, Self.base, access: .project(.view), tag: "dbaas",
                summary: "List instances (cursor paging; filter engine|state|region|name|provider|labels.KEY; sort created_at|name|state)",
                query: [("page_size", Schemas.integer), ("page_token", Schemas.string), ("filter", Schemas.string), ("sort", Schemas.string)])
        ) { request, context in
            let (_, project) = try await scope(context, .view)
            let page = try await plane.listInstances(projectId: project.id, uri: request.uri)
            return try JSONCoding.response(
                InstanceList(instances: page.items.map(InstanceView.init), next_page_token: page.nextPageToken, total_count: page.totalCount))
        }

        routes.add(RouteSpec(.get, Self.base + "/{id}", access: .project(.view), tag: "dbaas", summary: "An instance")) { _, context in
            let (_, project) = try await scope(context, .view)
            let instance = try await plane.instance(try context.parameters.require("id"), projectId: project.id)
            return try JSONCoding.response(["instance": InstanceView(instance)])
        }

        routes.add(
            RouteSpec(
                .patch, Self.base + "/{id}", access: .project(.update), tag: "dbaas",
                summary: "Rename, relabel (200), or change resources / high availability (202 with the operation)",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "labels": labels, "resources": resources, "high_availability": Schemas.boolean]))
        ) { request, context in
            let (principal, project) = try await scope(context, .update)
            let body = try await request.decodeJSON(UpdateInstanceBody.self)
            let (instance, operation) = try await plane.updateInstance(
                principal, project: project, id: try context.parameters.require("id"), body)
            return try JSONCoding.response(
                Created(instance: InstanceView(instance), operation: operation.map(OperationView.init)),
                status: operation == nil ? .ok : .accepted)
        }

        routes.add(
            RouteSpec(.delete, Self.base + "/{id}", access: .project(.update), tag: "dbaas",
                summary: "Delete an instance (backups are kept)", successStatus: 202)
        ) { _, context in
            let (principal, project) = try await scope(context, .update)
            let (instance, operation) = try await plane.deleteInstance(principal, project: project, id: try context.parameters.require("id"))
            return try JSONCoding.response(Created(instance: InstanceView(instance), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(
            RouteSpec(.post, Self.base + "/{id}/restart", access: .project(.update), tag: "dbaas", summary: "Restart", successStatus: 202)
        ) { _, context in
            let (principal, project) = try await scope(context, .update)
            let (instance, operation) = try await plane.restartInstance(principal, project: project, id: try context.parameters.require("id"))
            return try JSONCoding.response(Created(instance: InstanceView(instance), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(
            RouteSpec(.post, Self.base + "/{id}/failover", access: .project(.update), tag: "dbaas",
                summary: "Promote the standby (409 without one)", successStatus: 202)
        ) { _, context in
            let (principal, project) = try await scope(context, .update)
            let (instance, operation) = try await plane.failoverInstance(principal, project: project, id: try context.parameters.require("id"))
            return try JSONCoding.response(Created(instance: InstanceView(instance), operation: OperationView(operation)), status: .accepted)
        }

        routes.add(
            RouteSpec(
                .post, Self.base + "/{id}/restore", access: .project(.update), tag: "dbaas", summary: "Restore from a backup",
                requestBody: Schemas.object(["backup_id": Schemas.string], required: ["backup_id"]), successStatus: 202)
        ) { request, context in
            let (principal, project) = try await scope(context, .update)
            let body = try await request.decodeJSON(RestoreBody.self)
            let (instance, operation) = try await plane.restoreInstance(
                principal, project: project, id: try context.parameters.require("id"), backupId: body.backup_id)
            return try JSONCoding.response(Created(instance: InstanceView(instance), operation: OperationView(operation)), status: .accepted)
        }
    }

    func scope(_ context: AppRequestContext, _ permission: Permission) async throws -> (Principal, Project) {
        let principal = try context.requirePrincipal()
        let project = try await plane.access.require(principal, projectId: try context.parameters.require("pid"), permission)
        return (principal, project)
    }
}
