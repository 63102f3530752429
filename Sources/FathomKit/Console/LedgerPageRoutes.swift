import Hummingbird

/// Console pages of the database ledger: the filtered list, and one database with its size history.
struct LedgerPageRoutes: RouteGroup {
    let pages: ConsolePages
    let charts: ConsoleCharts

    var endpoints: [Route] {
        [
            Route(.get, "/databases", access: .public, tag: "console", summary: "Console: database ledger", ledger),
            Route(.get, "/databases/{database_id}", access: .public, tag: "console", summary: "Console: a database with its size history and tables", database),
        ]
    }

    func ledger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            return pages.render("ledger", nav: "databases", titleKey: "nav_databases", request: request, principal: principal)
        case .failure(let redirect): return redirect.response
        }
    }

    func database(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal: Principal
        switch await pages.signedIn(request) {
        case .success(let user): principal = user
        case .failure(let redirect): return redirect.response
        }
        guard let id = Int64(try context.parameters.require("database_id")), id > 0 else {
            throw AppError(.notFound, "No such database")
        }
        let t = pages.assets.catalogs[pages.language(request)]!
        var values: [String: Any] = ["database_id": String(id)]
        if principal.role.permissions.contains(.view) {
            values["history_svg"] = SVGChart.sizeLine(
                try await charts.databaseHistory(id, days: 90), title: t["chart_size_history"], empty: t["chart_empty"])
        }
        return pages.render("database", nav: "databases", titleKey: "nav_databases", request: request, principal: principal, values: values)
    }
}
