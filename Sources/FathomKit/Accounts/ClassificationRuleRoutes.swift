import Foundation
import Hummingbird

/// `/api/v1/accounts/classifications/rules*`: versioned classification rules and expression validation.
struct ClassificationRuleRoutes: RouteGroup {
    let service: ClassificationService

    struct Body: StrictBody {
        var classification_id: Int64?
        var db_type: String?
        var rule_name: String?
        var rule_expression: JSONValue?
        var is_active: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case classification_id, db_type, rule_name, rule_expression, is_active }

        var input: ClassificationService.RuleInput {
            .init(classificationId: classification_id, dbType: db_type, ruleName: rule_name, expression: rule_expression, isActive: is_active)
        }
    }

    struct ValidateBody: StrictBody {
        var rule_expression: JSONValue
        enum CodingKeys: String, CodingKey, CaseIterable { case rule_expression }
    }

    struct PreviewBody: StrictBody {
        var rule_expression: JSONValue
        var db_type: String
        enum CodingKeys: String, CodingKey, CaseIterable { case rule_expression, db_type }
    }

    static let schema = Schemas.object([
        "classification_id": Schemas.integer, "db_type": Schemas.enumeration(RuleExpression.dbTypes),
        "rule_name": Schemas.string, "rule_expression": ["type": "object"], "is_active": Schemas.boolean,
    ])

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/accounts/classifications/rules", access: .permission(.view), tag: "accounts",
                summary: "Classification rules (current versions; include_history=true for all)",
                query: [("db_type", Schemas.string), ("classification_id", Schemas.integer), ("include_history", Schemas.boolean),
                        ("page", Schemas.integer), ("limit", Schemas.integer)], list),
            Route(.post, "/api/v1/accounts/classifications/rules", access: .permission(.update), tag: "accounts",
                summary: "Create a rule (version 1)", requestBody: Self.schema, successStatus: 201, create),
            Route(.post, "/api/v1/accounts/classifications/rules/actions/validate-expression", access: .permission(.update), tag: "accounts",
                summary: "Check a rule expression; 400 names each problem by its path",
                requestBody: Schemas.object(["rule_expression": ["type": "object"]], required: ["rule_expression"]), validate),
            Route(.post, "/api/v1/accounts/classifications/rules/actions/preview", access: .permission(.view), tag: "accounts",
                summary: "Which active accounts of db_type a rule expression would match (count and the first 20); changes nothing",
                requestBody: Schemas.object(
                    ["rule_expression": ["type": "object"], "db_type": Schemas.enumeration(RuleExpression.dbTypes)],
                    required: ["rule_expression", "db_type"]), preview),
            Route(.get, "/api/v1/accounts/classifications/rules/{rule_id}", access: .permission(.view), tag: "accounts",
                summary: "One rule version", show),
            Route(.put, "/api/v1/accounts/classifications/rules/{rule_id}", access: .permission(.update), tag: "accounts",
                summary: "Change a rule: a new expression makes version n+1 and supersedes this one", requestBody: Self.schema, update),
            Route(.delete, "/api/v1/accounts/classifications/rules/{rule_id}", access: .permission(.update), tag: "accounts",
                summary: "Delete a rule (kept as history) and the assignments it made", delete),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri)
        let dbType = try ClassificationService.normalizedDbType(query.string("db_type"))
        let classificationId = try query.int("classification_id")
        let history = try query.bool("include_history", default: false)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 50, maxSize: 200)
        let (items, total) = try await service.store.read { db in
            try await ClassificationStore.rules(
                dbType: dbType, classificationId: classificationId, history: history, offset: page.offset, limit: page.size, on: db)
        }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(Body.self)
        return try context.envelope(try await service.createRule(body.input, by: context.principal?.username), status: .created)
    }

    func validate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(ValidateBody.self)
        _ = try RuleExpression.parse(body.rule_expression)
        return try context.envelope(["valid": true] as JSONValue)
    }

    func preview(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(PreviewBody.self)
        let expression = try RuleExpression.parse(body.rule_expression)
        let dbType = try ClassificationService.normalizedDbType(body.db_type)!
        let visible = try await AccountScope.visibleInstances(context, store: service.store)
        return try context.envelope(
            try await RulePreview(store: service.store).run(expression, dbType: dbType, visible: visible, limit: 20))
    }

    func show(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "rule_id", what: "Rule")
        guard let found = try await service.store.read({ db in try await ClassificationStore.rule(id, on: db) }) else {
            throw ClassificationService.notFound("Rule", id)
        }
        return try context.envelope(found)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        // The body is checked first: a bad body is a 400 whatever it names.
        let body = try await request.decodeJSON(Body.self)
        let id = try PathID.int(context, "rule_id", what: "Rule")
        return try context.envelope(try await service.updateRule(id, body.input, by: context.principal?.username))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "rule_id", what: "Rule")
        try await service.deleteRule(id)
        return try context.envelope(["deleted": true, "rule_id": .int(id)] as JSONValue)
    }
}
