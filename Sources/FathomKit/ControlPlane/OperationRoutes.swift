import Hummingbird

/// `/v1/projects/{project_id}/operations`: the long-running work of the DBaaS API, its status and cancel.
struct OperationRoutes: RouteGroup {
    let plane: ControlPlane
    let runner: JobRunner

    var endpoints: [Route] {
        [
            Route(
                .get, "/v1/projects/{project_id}/operations", access: .project(.view), tag: "dbaas",
                summary: "List operations (filter instance_id|type|state; newest first)", query: CursorPage.queryParameters, list),
            Route(
                .get, "/v1/projects/{project_id}/operations/{operation_id}", access: .project(.view), tag: "dbaas",
                summary: "An operation's status", get),
            Route(
                .post, "/v1/projects/{project_id}/operations/{operation_id}/cancel", access: .project(.update), tag: "dbaas",
                summary: "Cancel an operation (best effort; a pending one is cancelled at once)", cancel),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let page = try await plane.listOperations(projectId: project.id, uri: request.uri)
        return try DBaaSResponse.list("operations", page.map(OperationView.init))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let operation = try await plane.operation(try context.parameters.require("operation_id"), projectId: project.id)
        return try DBaaSResponse.resource("operation", OperationView(operation))
    }

    func cancel(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let operation = try await plane.operation(try context.parameters.require("operation_id"), projectId: project.id)
        guard !operation.state.isFinal else {
            throw AppError(.conflict, "Operation \(operation.id) already \(operation.state.rawValue)")
        }
        try await plane.cancel(operation)
        runner.cancelLocally(operation.job.id)
        return try DBaaSResponse.resource("operation", OperationView(try await plane.operation(operation.id, projectId: project.id)))
    }
}
