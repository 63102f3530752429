import Hummingbird

/// A person merges duplicates (assets are never merged automatically): the primary absorbs the others' links,
/// records and relations in one transaction.
struct AssetMergeRoutes: RouteGroup {
    let service: AssetService
    let merges: AssetMergeStore
    let backend: Store.Backend

    struct Body: StrictBody {
        var mergedAssetUuids: [String]
        enum CodingKeys: String, CodingKey, CaseIterable { case mergedAssetUuids }
    }

    var endpoints: [Route] {
        [
            Route(.post, "/api/v1/assets/{asset_uuid}/merge", access: .permission(.admin), tag: "assets",
                summary: "Merge assets of the same type into this one (a VM absorbs only offline VMs); returns the primary",
                requestBody: Schemas.object(
                    ["mergedAssetUuids": .object(["type": "array", "items": Schemas.string, "minItems": 1, "maxItems": 100])],
                    required: ["mergedAssetUuids"]), merge),
        ]
    }

    func merge(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let primary = try context.parameters.require("asset_uuid")
        let body = try await request.decodeJSON(Body.self)
        var merged: [String] = []
        for uuid in body.mergedAssetUuids where !merged.contains(uuid) { merged.append(uuid) }
        guard !merged.isEmpty, merged.count <= 100 else {
            throw AppError.invalid(field: "mergedAssetUuids", issue: "invalid", "between 1 and 100 asset uuids")
        }
        switch try await merges.merge(
            primary: primary, merged: merged, now: service.clock.millis(), actor: try context.requirePrincipal().username,
            backend: backend) {
        case .success: return try context.envelope(try await service.detail(primary))
        case .failure(let refusal): throw Self.error(refusal)
        }
    }

    static func error(_ refusal: AssetMergeStore.Refusal) -> AppError {
        switch refusal {
        case .notFound(let uuids):
            return AppError(.configAssetNotFound, "Asset(s) not found: \(uuids.joined(separator: ", "))")
        case .typeMismatch(let uuid):
            return AppError(.configAssetMergeAssetTypeMismatch, redactedContext: ["assetUuid": .string(uuid)])
        case .cycle(let uuid):
            return AppError(.configAssetMergeCycleDetected, redactedContext: ["assetUuid": .string(uuid)])
        case .alreadyMerged(let uuid, let into):
            return AppError(
                .configResourceConflict, "Asset \(uuid) is already merged into \(into)",
                redactedContext: ["assetUuid": .string(uuid), "mergedInto": .string(into)])
        case .vmNotOffline(let uuid):
            return AppError(.configAssetMergeVMRequiresOffline, redactedContext: ["assetUuid": .string(uuid)])
        }
    }
}
