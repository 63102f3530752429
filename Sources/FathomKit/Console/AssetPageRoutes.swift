import Hummingbird

/// Console pages of the asset ledger's assets: the filtered list, and one asset with its canonical fields, source
/// links, hand-kept fields, history and relation chain. Under `/inventory/` because `/assets/` serves static files.
struct AssetPageRoutes: RouteGroup {
    let pages: ConsolePages
    let assets: AssetService

    var endpoints: [Route] {
        [
            Route(.get, "/inventory/assets", access: .public, tag: "console", summary: "Console: assets with filters, sort, paging and CSV export", list),
            Route(
                .get, "/inventory/assets/{asset_uuid}", access: .public, tag: "console",
                summary: "Console: an asset with canonical fields, sources, hand-kept fields, history and relation graph", detail),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            return pages.render("assets", nav: "inventory", titleKey: "nav_assets", request: request, principal: principal)
        case .failure(let redirect): return redirect.response
        }
    }

    func detail(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal: Principal
        switch await pages.signedIn(request) {
        case .success(let user): principal = user
        case .failure(let redirect): return redirect.response
        }
        let uuid = try context.parameters.require("asset_uuid")
        var values: [String: Any] = ["subject_id": uuid]
        // The graph is the relations route's own answer, drawn here; the API decides who may read it.
        if principal.role.permissions.contains(.view) {
            let t = pages.assets.catalogs[pages.language(request)]!
            let chain = try await assets.relations(uuid)
            values["relations_svg"] = RelationGraph.svg(chain, labels: .init(
                title: t["relation_chain"], inactive: t["edge_inactive"], reason: { t["missing_\($0)"] },
                assetType: { t["asset_type_\($0)"] }))
            // What runs on this asset (database instances on a machine) or belongs to it (hosts of a cluster).
            let incoming = (chain.incoming ?? []).map { edge -> [String: Any] in
                var item: [String: Any] = [
                    "uuid": edge.from.assetUuid, "name": edge.from.displayName, "type": t["asset_type_\(edge.from.assetType)"],
                    "relation": edge.type,
                ]
                if edge.status != "active" { item["inactive"] = t["edge_inactive"] }
                return item
            }
            if !incoming.isEmpty { values["incoming"] = incoming }
            values["has_missing"] = !(chain.missing ?? []).isEmpty
            values["missing"] = (chain.missing ?? []).map { gap in
                var item: [String: Any] = ["type": gap.type, "source": gap.sourceName, "reason": t["missing_\(gap.reason)"]]
                // Mustache treats an empty string as present: a gap without a target leaves the key out.
                if let target = gap.target { item["target"] = "\(target["externalKind"] ?? "") \(target["externalId"] ?? "")" }
                return item
            }
        }
        return pages.render("asset", nav: "inventory", titleKey: "nav_assets", request: request, principal: principal, values: values)
    }
}
