import Hummingbird

/// The console's capacity page: a period switch (daily/weekly/monthly/quarterly) over instances or databases,
/// with the fleet trend for that period drawn by the server.
struct CapacityPageRoutes: RouteGroup {
    let pages: ConsolePages
    let charts: ConsoleCharts

    var endpoints: [Route] {
        [Route(.get, "/capacity", access: .public, tag: "console", summary: "Console: capacity by period with trend and forecast", capacity)]
    }

    /// How far back each period's trend reaches: enough periods to show a shape.
    static let lookback: [PeriodType: Int] = [.daily: 30, .weekly: 7 * 16, .monthly: 365, .quarterly: 3 * 365]

    func capacity(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal: Principal
        switch await pages.signedIn(request) {
        case .success(let user): principal = user
        case .failure(let redirect): return redirect.response
        }
        let period = request.uri.queryParameters["period_type"].flatMap { PeriodType(rawValue: String($0)) } ?? .daily
        let subject = request.uri.queryParameters["subject"] == "databases" ? "databases" : "instances"
        let t = pages.assets.catalogs[pages.language(request)]!
        var values: [String: Any] = [
            "period_type": period.rawValue, "subject": subject, "subject_\(subject)": true,
            "periods": PeriodType.allCases.map { type in
                ["value": type.rawValue, "label": t["period_\(type.rawValue)"], "current": type == period, "subject": subject] as [String: Any]
            },
        ]
        if principal.role.permissions.contains(.view) {
            values["trend_svg"] = SVGChart.sizeLine(
                try await charts.fleetTrend(period, days: Self.lookback[period] ?? 30), title: t["chart_fleet_trend"] + " (" + t["period_\(period.rawValue)"] + ")",
                empty: t["chart_empty"])
        }
        return pages.render("capacity", nav: "capacity", titleKey: "nav_capacity", request: request, principal: principal, values: values)
    }
}
