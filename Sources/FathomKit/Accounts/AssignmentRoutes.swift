import Foundation
import Hummingbird

/// `/api/v1/accounts/classifications/assignments*`: which accounts are in which class, auto or manual.
struct AssignmentRoutes: RouteGroup {
    let store: Store
    let clock: WallClock

    struct Body: StrictBody {
        var account_id: Int64
        var classification_id: Int64
        enum CodingKeys: String, CodingKey, CaseIterable { case account_id, classification_id }
    }

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/accounts/classifications/assignments", access: .permission(.view), tag: "accounts",
                summary: "Classification assignments",
                query: [("account_id", Schemas.integer), ("classification_id", Schemas.integer),
                        ("assignment_type", Schemas.enumeration(["auto", "manual"])), ("page", Schemas.integer), ("limit", Schemas.integer)],
                list),
            Route(.post, "/api/v1/accounts/classifications/assignments", access: .permission(.update), tag: "accounts",
                summary: "Assign an account to a class by hand (rules never remove a manual assignment)",
                requestBody: Schemas.object(["account_id": Schemas.integer, "classification_id": Schemas.integer],
                    required: ["account_id", "classification_id"]), successStatus: 201, assign),
            Route(.delete, "/api/v1/accounts/classifications/assignments/{assignment_id}", access: .permission(.update), tag: "accounts",
                summary: "Remove an assignment (an auto one returns at the next classification if its rule still matches)", delete),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri)
        let type = query.string("assignment_type")?.lowercased()
        if let type, !["auto", "manual"].contains(type) {
            throw AppError.invalid(field: "assignment_type", issue: "invalid", "assignment_type must be auto or manual")
        }
        let (accountId, classificationId) = (try query.int("account_id"), try query.int("classification_id"))
        let visible = try await AccountScope.visibleInstances(context, store: store)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 50, maxSize: 200)
        let (items, total) = try await store.read { db in
            try await AssignmentStore.page(
                accountId: accountId, classificationId: classificationId, type: type, instances: visible, offset: page.offset,
                limit: page.size, on: db)
        }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func assign(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(Body.self)
        let visible = try await AccountScope.visibleInstances(context, store: store)
        let user = context.principal?.username ?? ""
        let now = clock.millis()
        let assignment = try await store.write { db in
            guard try await AccountQuery.accountExists(body.account_id, instances: visible, on: db) else {
                throw AppError(.notFound, "Account \(body.account_id) not found")
            }
            guard try await ClassificationStore.classification(body.classification_id, on: db) != nil else {
                throw AppError(.notFound, "Classification \(body.classification_id) not found")
            }
            try await AssignmentStore.assignManually(
                accountId: body.account_id, classificationId: body.classification_id, by: user, now: now, on: db)
            return try await AssignmentStore.find(accountId: body.account_id, classificationId: body.classification_id, on: db)
        }
        return try context.envelope(assignment, status: .created)
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "assignment_id", what: "Assignment")
        let visible = try await AccountScope.visibleInstances(context, store: store)
        try await store.write { db in
            guard let found = try await AssignmentStore.find(id, on: db), visible?.contains(found.instance_id) ?? true else {
                throw AppError(.notFound, "Assignment \(id) not found")
            }
            try await AssignmentStore.delete(id, on: db)
        }
        return try context.envelope(["deleted": true, "assignment_id": .int(id)] as JSONValue)
    }
}
