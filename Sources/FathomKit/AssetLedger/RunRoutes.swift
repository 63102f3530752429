import Hummingbird

/// Runs (asset-ledger contract §4.7, §5): trigger a source or a whole schedule group, list, detail, cancel.
struct RunRoutes: RouteGroup {
    let service: RunService
    let firing: ScheduleGroupFiring
    let audit: AuditLog

    struct TriggerBody: StrictBody {
        var mode: String
        enum CodingKeys: String, CodingKey, CaseIterable { case mode }
    }

    var endpoints: [Route] {
        [
            Route(.post, "/api/v1/sources/{source_id}/runs", access: .permission(.update), tag: "assets",
                summary: "Trigger a run (201 Queued, or 200 with the source's active run)",
                requestBody: Schemas.object(["mode": Schemas.enumeration(Run.modes)], required: ["mode"]),
                successStatus: 201, otherStatuses: [200], trigger),
            Route(.post, "/api/v1/schedule-groups/{group_id}/runs", access: .permission(.update), tag: "assets",
                summary: "Collect every source of a group now: each queued, suppressed (active run) or skipped",
                triggerGroup),
            Route(.get, "/api/v1/runs", access: .permission(.view), tag: "assets", summary: "Runs, newest first",
                query: [("sourceId", Schemas.string), ("status", Schemas.enumeration(Run.Status.allCases.map(\.rawValue))),
                        ("mode", Schemas.enumeration(Run.modes)), ("triggerType", Schemas.enumeration(Run.triggerTypes)),
                        ("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
            Route(.get, "/api/v1/runs/{run_id}", access: .permission(.view), tag: "assets",
                summary: "A run with its detect result, stats, warnings and errors", get),
            Route(.post, "/api/v1/runs/{run_id}/cancel", access: .permission(.update), tag: "assets",
                summary: "Cancel a Queued or Running run (its collector's process group is killed)", cancel),
        ]
    }

    func trigger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(TriggerBody.self)
        let actor = try context.requirePrincipal()
        let sourceId = try context.parameters.require("source_id")
        switch try await service.trigger(sourceId: sourceId, mode: body.mode, triggerType: "manual") {
        case .queued(let run):
            try await audit.record("run.triggered", actor: actor, target: ("source", sourceId), details: ["runId": .string(run.runId), "mode": .string(body.mode)])
            return try context.envelope(TriggerView(run), status: .created)
        case .suppressed(let run):
            try await audit.record("run.trigger_suppressed", actor: actor, target: ("source", sourceId), details: ["activeRunId": .string(run.runId), "mode": .string(body.mode)])
            return try context.envelope(TriggerView(run, message: "Active run already exists"))
        }
    }

    func triggerGroup(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let groupId = try context.parameters.require("group_id")
        let result = try await firing.triggerNow(groupId)
        try await audit.record(
            "schedule_group.triggered", actor: try context.requirePrincipal(), target: ("schedule_group", groupId),
            details: JSONValue.encode(result))
        return try context.envelope(result)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = RunStore.Filter(
            sourceId: query["sourceId"].map(String.init),
            status: try LedgerParams.oneOf(query["status"], name: "status", Run.Status.allCases.map(\.rawValue)),
            mode: try LedgerParams.oneOf(query["mode"], name: "mode", Run.modes),
            triggerType: try LedgerParams.oneOf(query["triggerType"], name: "triggerType", Run.triggerTypes))
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.list(filter, page: page)
        return try context.paged(
            result.items.map(RunSummaryView.init), pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(RunDetailView(try await service.get(try context.parameters.require("run_id"))))
    }

    func cancel(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let run = try await service.cancel(try context.parameters.require("run_id"))
        try await audit.record("run.cancelled", actor: try context.requirePrincipal(), target: ("run", run.runId), details: ["sourceId": .string(run.sourceId)])
        return try context.envelope(RunDetailView(run))
    }
}
