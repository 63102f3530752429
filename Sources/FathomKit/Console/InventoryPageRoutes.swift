import Hummingbird

/// Console pages that run the asset ledger: duplicate candidates, sources with their schedule groups, and runs.
/// They render forms and empty tables; the page scripts fill them from `/api/v1`, which decides who may do what.
struct InventoryPageRoutes: RouteGroup {
    let pages: ConsolePages

    var endpoints: [Route] {
        [
            Route(.get, "/inventory/duplicates", access: .public, tag: "console", summary: "Console: duplicate candidates side by side (merge, ignore)", duplicates),
            Route(.get, "/inventory/sources", access: .public, tag: "console", summary: "Console: sources and schedule groups (CRUD, trigger a run)", sources),
            Route(.get, "/inventory/runs", access: .public, tag: "console", summary: "Console: collection runs with filters", runs),
            Route(.get, "/inventory/runs/{run_id}", access: .public, tag: "console", summary: "Console: a run with stats, warnings and errors (live, cancel)", run),
        ]
    }

    func duplicates(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("duplicates", titleKey: "nav_duplicates", request)
    }

    func sources(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("sources", titleKey: "nav_sources", request)
    }

    func runs(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("runs", titleKey: "nav_runs", request)
    }

    func run(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("run", titleKey: "nav_runs", request, subject: try context.parameters.require("run_id"))
    }

    private func page(_ template: String, titleKey: String, _ request: Request, subject: String? = nil) async -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            var values: [String: Any] = [:]
            values["subject_id"] = subject
            return pages.render(template, nav: "inventory", titleKey: titleKey, request: request, principal: principal, values: values)
        case .failure(let redirect): return redirect.response
        }
    }
}
