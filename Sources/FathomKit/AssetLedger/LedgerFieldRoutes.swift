import Hummingbird

/// Fields people keep by hand on assets (`ownership`, `location`, `service`, `physical`, `comments`): one asset or
/// up to 100 at once. A leaf set to null is cleared and the collected value shows again.
struct LedgerFieldRoutes: RouteGroup {
    let service: AssetService

    static let fieldsSchema = Schemas.object(
        ["ownership": .object(["type": "object"]), "location": .object(["type": "object"]),
         "service": .object(["type": "object"]), "physical": .object(["type": "object"]),
         "comments": .object(["type": ["string", "null"]])], required: [])

    var endpoints: [Route] {
        [
            Route(.put, "/api/v1/assets/{asset_uuid}/ledger-fields", access: .permission(.update), tag: "assets",
                summary: "Set (or with null clear) the asset's hand-kept fields; returns the asset's detail",
                requestBody: Self.fieldsSchema, put),
            Route(.post, "/api/v1/assets/ledger-fields/bulk", access: .permission(.update), tag: "assets",
                summary: "Set the same hand-kept fields on up to 100 assets, all or none",
                requestBody: Schemas.object(
                    ["assetUuids": .object(["type": "array", "items": Schemas.string, "maxItems": 100]), "fields": Self.fieldsSchema],
                    required: ["assetUuids", "fields"]), bulk),
        ]
    }

    func put(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let uuid = try context.parameters.require("asset_uuid")
        let leaves = try LedgerFields.parse(try await request.jsonObject())
        return try context.envelope(try await service.setLedgerFields(uuid, leaves, by: try context.requirePrincipal()))
    }

    struct BulkResult: Encodable {
        var updated: Int
        var assetUuids: [String]
    }

    func bulk(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.jsonObject()
        if let unknown = body.keys.sorted().first(where: { $0 != "assetUuids" && $0 != "fields" }) {
            throw AppError.invalid(field: unknown, issue: "unknown_field", "unknown field '\(unknown)'")
        }
        guard case .array(let items)? = body["assetUuids"], items.allSatisfy({ $0.stringValue != nil }) else {
            throw AppError.invalid(field: "assetUuids", issue: "required", "assetUuids must be an array of asset uuids")
        }
        guard case .object(let fields)? = body["fields"] else {
            throw AppError.invalid(field: "fields", issue: "required", "fields must be an object of ledger fields")
        }
        let uuids = items.compactMap(\.stringValue)
        if Set(uuids).count > AssetService.bulkLimit {
            throw AppError(.configLedgerFieldLimitExceeded, "At most \(AssetService.bulkLimit) assets per request (got \(Set(uuids).count))")
        }
        let leaves = try LedgerFields.parse(fields, field: "fields.")
        let updated = try await service.setLedgerFields(bulk: uuids, leaves, by: try context.requirePrincipal())
        return try context.envelope(BulkResult(updated: updated.count, assetUuids: updated))
    }
}
