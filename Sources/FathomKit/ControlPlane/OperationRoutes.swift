import Hummingbird

/// `/v1/projects/{pid}/operations` and the backup and database-user routes that start them.
struct OperationRoutes {
    let plane: ControlPlane
    let runner: JobRunner

    struct OperationList: Encodable {
        var operations: [OperationView]
        var next_page_token: String
        var total_count: Int
    }

    func register(on routes: Routes) {
        let scope = InstanceRoutes(plane: plane).scope
        routes.add(
            RouteSpec(
                .get, "/v1/projects/{pid}/operations", access: .project(.view), tag: "dbaas",
                summary: "List operations (filter instance_id|type|state; newest first)",
                query: [("page_size", Schemas.integer), ("page_token", Schemas.string), ("filter", Schemas.string), ("sort", Schemas.string)])
        ) { request, context in
            let (_, project) = try await scope(context, .view)
            let page = try await plane.listOperations(projectId: project.id, uri: request.uri)
            return try JSONCoding.response(
                OperationList(operations: page.items.map(OperationView.init), next_page_token: page.nextPageToken, total_count: page.totalCount))
        }

        routes.add(RouteSpec(.get, "/v1/projects/{pid}/operations/{oid}", access: .project(.view), tag: "dbaas", summary: "An operation's status")) { _, context in
            let (_, project) = try await scope(context, .view)
            return try JSONCoding.response(["operation": OperationView(try await plane.operation(try context.parameters.require("oid"), projectId: project.id))])
        }

        routes.add(
            RouteSpec(.post, "/v1/projects/{pid}/operations/{oid}/cancel", access: .project(.update), tag: "dbaas",
                summary: "Cancel an operation (best effort; a pending one is cancelled at once)")
        ) { _, context in
            let (_, project) = try await scope(context, .update)
            let operation = try await plane.operation(try context.parameters.require("oid"), projectId: project.id)
            guard !operation.state.isFinal else {
                throw AppError(.conflict, "Operation \(operation.id) already \(operation.state.rawValue)")
            }
            try await plane.cancel(operation)
            runner.cancelLocally(operation.job.id)
            return try JSONCoding.response(["operation": OperationView(try await plane.operation(operation.id, projectId: project.id))])
        }
    }
}
