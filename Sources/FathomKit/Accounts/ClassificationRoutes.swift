import Foundation
import Hummingbird

/// `/api/v1/accounts/classifications[/{classification_id}]` and the auto-classify action.
struct ClassificationRoutes: RouteGroup {
    let service: ClassificationService
    let enqueue: @Sendable (NewJob) async throws -> Int64

    struct Body: StrictBody {
        var code: String?
        var display_name: String?
        var description: String?
        var risk_level: Int?
        var priority: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case code, display_name, description, risk_level, priority }

        var input: ClassificationService.ClassificationInput {
            .init(code: code, displayName: display_name, description: description, riskLevel: risk_level, priority: priority)
        }
    }

    struct ClassifyBody: StrictBody {
        var instance_id: Int64?
        enum CodingKeys: String, CodingKey, CaseIterable { case instance_id }
    }

    static let schema = Schemas.object([
        "code": Schemas.string, "display_name": Schemas.string, "description": Schemas.string,
        "risk_level": Schemas.integer, "priority": Schemas.integer,
    ])

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/accounts/classifications", access: .permission(.view), tag: "accounts",
                summary: "Account classifications by risk (1 highest)", query: [("page", Schemas.integer), ("limit", Schemas.integer)], list),
            Route(.post, "/api/v1/accounts/classifications", access: .permission(.update), tag: "accounts",
                summary: "Create a classification (code unique, never changes)", requestBody: Self.schema, successStatus: 201, create),
            Route(.post, "/api/v1/accounts/classifications/actions/auto-classify", access: .permission(.update), tag: "accounts",
                summary: "Classify every account (or one instance's) by the rules now (a task run)",
                requestBody: Schemas.object(["instance_id": Schemas.integer]), bodyRequired: false, autoClassify),
            Route(.get, "/api/v1/accounts/classifications/{classification_id}", access: .permission(.view), tag: "accounts",
                summary: "One classification", show),
            Route(.put, "/api/v1/accounts/classifications/{classification_id}", access: .permission(.update), tag: "accounts",
                summary: "Change a classification's name, description, risk or priority (not its code)",
                requestBody: Self.schema, update),
            Route(.delete, "/api/v1/accounts/classifications/{classification_id}", access: .permission(.update), tag: "accounts",
                summary: "Delete a classification (not a system one, not one in use)", delete),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 50, maxSize: 200)
        let (items, total) = try await service.store.read { db in
            try await ClassificationStore.classifications(offset: page.offset, limit: page.size, on: db)
        }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(Body.self)
        return try context.envelope(try await service.createClassification(body.input), status: .created)
    }

    func autoClassify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeOptionalJSON(ClassifyBody.self)
        var payload: [String: JSONValue] = [:]
        if let instanceId = body?.instance_id {
            guard instanceId >= 1 else { throw AppError.invalid(field: "instance_id", issue: "invalid", "instance_id must be a positive integer") }
            payload["instance_id"] = .int(instanceId)
        }
        let id = try await enqueue(NewJob(kind: AccountsJobs.classify, payload: .object(payload), priority: 10))
        return try context.envelope(["run_id": id])
    }

    func show(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "classification_id", what: "Classification")
        guard let found = try await service.store.read({ db in try await ClassificationStore.classification(id, on: db) }) else {
            throw ClassificationService.notFound("Classification", id)
        }
        return try context.envelope(found)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        // The body is checked first: a bad body is a 400 whatever it names.
        let body = try await request.decodeJSON(Body.self)
        let id = try PathID.int(context, "classification_id", what: "Classification")
        return try context.envelope(try await service.updateClassification(id, body.input))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "classification_id", what: "Classification")
        try await service.deleteClassification(id)
        return try context.envelope(["deleted": true, "classification_id": .int(id)] as JSONValue)
    }
}
