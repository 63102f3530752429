import Hummingbird

/// `/api/v1/schedule-groups` (asset-ledger contract §3): list, create, get, update, delete.
struct ScheduleGroupRoutes: RouteGroup {
    let service: ScheduleGroupService
    let audit: AuditLog

    struct CreateBody: StrictBody {
        var name: String
        var timezone: String
        var runAtHhmm: String
        var enabled: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, timezone, runAtHhmm, enabled }
    }

    struct UpdateBody: StrictBody {
        var name: String?
        var timezone: String?
        var runAtHhmm: String?
        var enabled: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, timezone, runAtHhmm, enabled }
    }

    static let bodySchema = Schemas.object(
        ["name": Schemas.string, "timezone": Schemas.string, "runAtHhmm": Schemas.string, "enabled": Schemas.boolean])

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/schedule-groups", access: .permission(.view), tag: "assets",
                summary: "Schedule groups with their source counts",
                query: [("enabled", Schemas.boolean), ("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
            Route(.post, "/api/v1/schedule-groups", access: .permission(.update), tag: "assets",
                summary: "Create a schedule group (daily at runAtHhmm in an IANA timezone)",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "timezone": Schemas.string, "runAtHhmm": Schemas.string, "enabled": Schemas.boolean],
                    required: ["name", "timezone", "runAtHhmm"]),
                successStatus: 201, create),
            Route(.get, "/api/v1/schedule-groups/{group_id}", access: .permission(.view), tag: "assets",
                summary: "A schedule group", get),
            Route(.put, "/api/v1/schedule-groups/{group_id}", access: .permission(.update), tag: "assets",
                summary: "Change a schedule group's name, time, zone or enablement", requestBody: Self.bodySchema, update),
            Route(.delete, "/api/v1/schedule-groups/{group_id}", access: .permission(.update), tag: "assets",
                summary: "Delete a schedule group that no source uses", successStatus: 204, delete),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let enabled = try LedgerParams.bool(request.uri.queryParameters["enabled"], name: "enabled")
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.list(enabled: enabled, page: page)
        return try context.paged(
            result.items.map(ScheduleGroupView.init), pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateBody.self)
        let group = try await service.create(
            .init(name: body.name, timezone: body.timezone, runAtHhmm: body.runAtHhmm, enabled: body.enabled))
        try await audit.record("schedule_group.created", actor: try context.requirePrincipal(), target: ("schedule_group", group.groupId))
        return try context.envelope(ScheduleGroupView(group), status: .created)
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(ScheduleGroupView(try await service.get(try context.parameters.require("group_id"))))
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(UpdateBody.self)
        let group = try await service.update(
            try context.parameters.require("group_id"),
            .init(name: body.name, timezone: body.timezone, runAtHhmm: body.runAtHhmm, enabled: body.enabled))
        try await audit.record("schedule_group.updated", actor: try context.requirePrincipal(), target: ("schedule_group", group.groupId))
        return try context.envelope(ScheduleGroupView(group))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("group_id")
        try await service.delete(id)
        try await audit.record("schedule_group.deleted", actor: try context.requirePrincipal(), target: ("schedule_group", id))
        return Response(status: .noContent)
    }
}
