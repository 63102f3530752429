import Hummingbird

/// The console's entry points: sign-in, the dashboard and the static script and stylesheet. Pages are public
/// routes that send a visitor without a session to `/login?next=…`; their data comes from the API.
struct ConsoleRoutes: RouteGroup {
    let pages: ConsolePages
    let assets: ConsoleAssets
    let charts: ConsoleCharts

    var endpoints: [Route] {
        [
            Route(.get, "/", access: .public, tag: "console", summary: "Console dashboard", dashboard),
            Route(.get, "/login", access: .public, tag: "console", summary: "Console sign-in page", login),
            Route(.get, "/assets/console.js", access: .public, tag: "console", summary: "Console script", script),
            Route(.get, "/assets/console.css", access: .public, tag: "console", summary: "Console stylesheet", stylesheet),
            Route(.get, "/assets/inventory.js", access: .public, tag: "console", summary: "Console script: asset ledger pages", inventoryScript),
            Route(.get, "/assets/people.js", access: .public, tag: "console", summary: "Console script: accounts, cache and audit pages", peopleScript),
        ]
    }

    func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal: Principal
        switch await pages.signedIn(request) {
        case .success(let user): principal = user
        case .failure(let redirect): return redirect.response
        }
        var values: [String: Any] = [:]
        // Fleet charts are for the platform roles; tenants see their projects only.
        if principal.role.permissions.contains(.view) {
            let t = pages.assets.catalogs[pages.language(request)]!
            values["trend_svg"] = SVGChart.sizeLine(
                try await charts.fleetTrend(.daily, days: 30), title: t["chart_fleet_trend"], empty: t["chart_empty"])
            values["growth_svg"] = SVGChart.bars(
                try await charts.topGrowing(days: 30, count: 8), title: t["chart_top_growing"], empty: t["chart_empty"],
                unit: { "+" + SVGChart.bytes($0) })
        }
        return pages.render("dashboard", nav: "dashboard", titleKey: "nav_dashboard", request: request, principal: principal, values: values)
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        pages.render("login", nav: "login", titleKey: "login_title", request: request, principal: nil)
    }

    func script(_ request: Request, _ context: AppRequestContext) async throws -> Response { file("console.js") }

    func inventoryScript(_ request: Request, _ context: AppRequestContext) async throws -> Response { file("inventory.js") }

    func peopleScript(_ request: Request, _ context: AppRequestContext) async throws -> Response { file("people.js") }

    func stylesheet(_ request: Request, _ context: AppRequestContext) async throws -> Response { file("console.css") }

    private func file(_ name: String) -> Response {
        let file = assets.files[name]!
        return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: file.body))
    }
}
