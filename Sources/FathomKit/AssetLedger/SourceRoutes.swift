import Hummingbird

/// `/api/v1/sources` (asset-ledger contract §4): list, create, get, update, soft delete. Credentials are accepted
/// on create and by `SourceCredentialRoutes`, and never returned.
struct SourceRoutes: RouteGroup {
    let service: SourceService
    let audit: AuditLog

    struct CreateBody: StrictBody {
        var name: String
        var sourceType: String
        var scheduleGroupId: String?
        var enabled: Bool?
        var config: JSONValue?
        var credential: JSONValue?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, sourceType, scheduleGroupId, enabled, config, credential }
    }

    struct UpdateBody: StrictBody {
        var name: String?
        var sourceType: String?
        var scheduleGroupId: String??
        var enabled: Bool?
        var config: JSONValue?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, sourceType, scheduleGroupId, enabled, config }

        // `"scheduleGroupId": null` (leave the group) differs from leaving the key out (keep the group).
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            sourceType = try container.decodeIfPresent(String.self, forKey: .sourceType)
            if container.contains(.scheduleGroupId) {
                scheduleGroupId = .some(try container.decodeNil(forKey: .scheduleGroupId)
                    ? nil : try container.decode(String.self, forKey: .scheduleGroupId))
            }
            enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
            config = try container.decodeIfPresent(JSONValue.self, forKey: .config)
        }
    }

    static let object: JSONValue = ["type": "object"]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/sources", access: .permission(.view), tag: "assets",
                summary: "Sources (not deleted) with their last run",
                query: [("sourceType", Schemas.string), ("enabled", Schemas.boolean), ("scheduleGroupId", Schemas.string),
                        ("page", Schemas.integer), ("pageSize", Schemas.integer)], list),
            Route(.post, "/api/v1/sources", access: .permission(.update), tag: "assets",
                summary: "Create a source; the credential is sealed and never returned",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "sourceType": Schemas.enumeration(SourceConfig.types), "scheduleGroupId": Schemas.string,
                     "enabled": Schemas.boolean, "config": Self.object, "credential": Self.object],
                    // `config` may be left out: a type that needs none (fathom) takes {}, the others say what is missing.
                    required: ["name", "sourceType"]),
                successStatus: 201, create),
            Route(.get, "/api/v1/sources/{source_id}", access: .permission(.view), tag: "assets", summary: "A source", get),
            Route(.put, "/api/v1/sources/{source_id}", access: .permission(.update), tag: "assets",
                summary: "Change a source's name, group, enablement or config",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "scheduleGroupId": Schemas.string, "enabled": Schemas.boolean, "config": Self.object]),
                update),
            Route(.delete, "/api/v1/sources/{source_id}", access: .permission(.update), tag: "assets",
                summary: "Soft-delete a source (its runs and records stay queryable); 409 while a run is active",
                successStatus: 204, delete),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = SourceStore.Filter(
            sourceType: query["sourceType"].map(String.init), enabled: try LedgerParams.bool(query["enabled"], name: "enabled"),
            scheduleGroupId: query["scheduleGroupId"].map(String.init))
        let page = PageRequest.assetLedger(request.uri)
        let result = try await service.list(filter, page: page)
        return try context.paged(
            result.items.map(SourceView.init), pagination: Pagination(page: page.page, pageSize: page.size, total: result.total))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateBody.self)
        let source = try await service.create(
            .init(name: body.name, sourceType: body.sourceType, scheduleGroupId: body.scheduleGroupId, enabled: body.enabled,
                  config: body.config ?? [:], credential: body.credential))
        try await audit.record("source.created", actor: try context.requirePrincipal(), target: ("source", source.sourceId))
        return try context.envelope(SourceView(source), status: .created)
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.envelope(SourceView(try await service.get(try context.parameters.require("source_id"))))
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(UpdateBody.self)
        let source = try await service.update(
            try context.parameters.require("source_id"),
            .init(name: body.name, sourceType: body.sourceType, scheduleGroupId: body.scheduleGroupId, enabled: body.enabled,
                  config: body.config))
        try await audit.record("source.updated", actor: try context.requirePrincipal(), target: ("source", source.sourceId))
        return try context.envelope(SourceView(source))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("source_id")
        try await service.delete(id)
        try await audit.record("source.deleted", actor: try context.requirePrincipal(), target: ("source", id))
        return Response(status: .noContent)
    }
}
