/// The web console at `/`: server-rendered pages over the same `/api/v1` and `/v1` routes every client uses.
struct ConsoleFeature: Feature {
    let routeGroups: [any RouteGroup]

    init(services: AppServices, built: FeatureSet) {
        // The resources ship with the binary; without them the console cannot render, so that is a build defect.
        let assets: ConsoleAssets
        do { assets = try ConsoleAssets.load() } catch { preconditionFailure("console resources: \(error)") }
        let pages = ConsolePages(assets: assets, identity: services.identity)
        let charts = ConsoleCharts(
            store: services.store, calendar: BusinessCalendar(identifier: services.configuration.timezone),
            clock: services.clock)
        routeGroups = [
            ConsoleRoutes(pages: pages, assets: assets, charts: charts),
            InstancePageRoutes(
                pages: pages, providers: built.get(ControlPlaneFeature.self).plane.providers, plane: built.get(ControlPlaneFeature.self).plane,
                assets: built.get(AssetLedgerFeature.self).assets),
            LedgerPageRoutes(pages: pages, charts: charts),
            CapacityPageRoutes(pages: pages, charts: charts),
            AccountPageRoutes(pages: pages),
            AdminPageRoutes(pages: pages),
            AssetPageRoutes(pages: pages, assets: built.get(AssetLedgerFeature.self).assets),
            InventoryPageRoutes(pages: pages),
            DatabaseAccountPageRoutes(pages: pages),
        ]
    }
}
