import Hummingbird

/// `/api/v1/task-runs`: background jobs — list (filter by kind/state), read, cancel.
struct TaskRunRoutes: RouteGroup {
    let jobs: JobQueue
    let runner: JobRunner

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/task-runs", access: .scoped(.view), tag: "jobs",
                summary: "Background task runs, newest first",
                query: [("kind", Schemas.string), ("state", Schemas.enumeration(JobState.allCases.map(\.rawValue))), ("page", Schemas.integer), ("limit", Schemas.integer)],
                list),
            Route(.get, "/api/v1/task-runs/{run_id}", access: .scoped(.view), tag: "jobs", summary: "One task run",
                get),
            Route(.post, "/api/v1/task-runs/{run_id}/actions/cancel", access: .permission(.admin), tag: "jobs",
                summary: "Cancel a task run: a queued one at once, a running one within seconds", cancel),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        var state: JobState?
        if let raw = query["state"].map(String.init), !raw.isEmpty {
            guard let parsed = JobState(rawValue: raw) else {
                throw AppError.invalid(
                    field: "state", issue: "invalid",
                    "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        let kind = query["kind"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let result = try await jobs.list(kind: kind, state: state, projects: context.tenantScope.projectIds, offset: page.offset, limit: page.size)
        return try context.envelope(
            ItemsPage(items: result.items.map(TaskRunView.init), total: result.total, page: page.page, limit: page.size))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(TaskRunView(try await job(context), showDetail: context.principal?.role == .admin && context.tenantScope.isFleet))
    }

    func cancel(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let existing = try await job(context)
        guard !existing.state.isFinished else {
            throw AppError(.jobFinished, "Task run \(existing.id) already \(existing.state.rawValue)")
        }
        guard let updated = try await jobs.requestCancel(existing.id) else { throw notFound(existing.id) }
        runner.cancelLocally(existing.id)
        return try context.envelope(TaskRunView(updated))
    }


    private func job(_ context: AppRequestContext) async throws -> Job {
        let raw = try context.parameters.require("run_id")
        guard let id = Int64(raw), let job = try await jobs.get(id, scope: context.tenantScope) else { throw notFound(raw) }
        return job
    }

    private func notFound(_ id: Any) -> AppError { AppError(.notFound, "Task run '\(id)' not found") }
}
