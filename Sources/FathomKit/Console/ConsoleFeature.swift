/// The web console at `/`, a client of the same routes as any other.
struct ConsoleFeature: Feature {
    let routeGroups: [any RouteGroup] = [ConsoleRoutes()]

    init(services: AppServices, built: FeatureSet) {}
}
