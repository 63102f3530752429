import Hummingbird
import HummingbirdCore
import Foundation

/// Console pages of DBaaS instances, per project: the list with the create form, and one instance.
struct InstancePageRoutes: RouteGroup {
    let pages: ConsolePages
    let providers: ProviderRegistry
    let plane: ControlPlane
    let assets: AssetService

    var endpoints: [Route] {
        [
            Route(.get, "/instances", access: .public, tag: "console", summary: "Console: choose a project's instances", chooser),
            Route(.get, "/projects/{project_id}/instances", access: .public, tag: "console", summary: "Console: instances of a project", list),
            Route(
                .get, "/projects/{project_id}/instances/{instance_id}", access: .public, tag: "console",
                summary: "Console: an instance with its operations, backups and users", detail),
        ]
    }

    func chooser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await page("instances", request, context)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await page("instances", request, context)
    }

    func detail(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await page("instance", request, context)
    }

    /// The machine chain the instance runs on, from the asset ledger (as `GET /api/v1/assets?assetType=database_instance`
    /// and `…/relations` answer): the database-instance asset a collector reported under this instance's id, and the
    /// active edges out of it (vm → host → cluster). Fleet roles only, as those routes are.
    private func machine(_ principal: Principal, instanceId: String) async throws -> [[String: Any]]? {
        guard principal.role.permissions.contains(.view) else { return nil }
        let found = try await assets.list(
            AssetStore.Filter(assetType: "database_instance", q: instanceId), page: PageRequest(page: 1, size: 20))
        guard let asset = found.items.first(where: { $0.sources.contains { $0.externalId == instanceId } }) else { return nil }
        var chain: [[String: Any]] = [["uuid": asset.assetUuid, "name": asset.displayName]]
        var node = try await assets.relations(asset.assetUuid)
        while let edge = node.outgoing?.first(where: { $0.status == "active" }) {
            chain.append(["uuid": edge.to.assetUuid, "name": edge.to.displayName, "relation": edge.type])
            node = edge.to
        }
        return chain
    }

    /// The instance's operations as the operations route lists them (filtered to the instance), drawn as a
    /// timeline; only for a principal the route itself would answer.
    private func timeline(_ principal: Principal, projectId: String, instanceId: String, language: Language) async throws -> String? {
        guard (try? await plane.access.require(principal, projectId: projectId, .view)) != nil else { return nil }
        let filter = "instance_id=\(instanceId)".addingPercentEncoding(withAllowedCharacters: ConsolePages.queryValue) ?? ""
        let page = try await plane.listOperations(projectId: projectId, uri: URI("/?page_size=30&filter=" + filter))
        let t = pages.assets.catalogs[language]!
        let items = page.items.map { operation in
            OperationTimeline.Item(
                id: operation.id, type: operation.type.rawValue, state: OperationState(job: operation.job).rawValue,
                progress: operation.job.progressPercent, start: operation.job.startedAt ?? operation.createdAt,
                end: operation.job.finishedAt, error: operation.job.errorMessage)
        }
        return OperationTimeline.svg(items, now: plane.clock.millis(), labels: .init(
            title: t["operations_timeline"], empty: t["nothing_here"], state: { t["state_\($0)"] }, type: { t["op_\($0)"] }))
    }

    private func page(_ template: String, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal: Principal
        switch await pages.signedIn(request) {
        case .success(let user): principal = user
        case .failure(let redirect): return redirect.response
        }
        // The create form offers what this server's providers support (the API answers 422 for anything else).
        let options: [[String: Any]] = providers.names.compactMap { name in
            guard let provider = providers.provider(name) else { return nil }
            let engines = provider.engines().sorted { $0.key < $1.key }.map { engine, versions in
                ["engine": engine, "versions": versions.joined(separator: ",")]
            }
            var option: [String: Any] = ["name": name, "engines": engines]
            if let reason = provider.unavailableReason { option["unavailable"] = reason }
            return option
        }
        // Mustache treats an empty string as present: leave absent parameters out.
        var values: [String: Any] = ["providers": options]
        values["project_id"] = context.parameters.get("project_id")
        values["instance_id"] = context.parameters.get("instance_id")
        if let projectId = context.parameters.get("project_id"), let instanceId = context.parameters.get("instance_id") {
            values["timeline_svg"] = try await timeline(principal, projectId: projectId, instanceId: instanceId, language: pages.language(request))
            values["machine"] = try await machine(principal, instanceId: instanceId)
        }
        return pages.render(
            template, nav: "instances", titleKey: "nav_instances", request: request, principal: principal, values: values)
    }
}
