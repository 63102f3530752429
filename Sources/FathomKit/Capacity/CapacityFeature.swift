/// Capacity and the database ledger: inventory and daily sizes of every instance's databases, their aggregation by
/// week, month and quarter, table sizes (`/api/v1/databases/*`, `/api/v1/capacity/*`).
struct CapacityFeature: Feature {
    static let migrations = [
        Migration(version: 6, name: "capacity", statements: CapacitySchema.statements),
        Migration(version: 7, name: "capacity_aggregations", statements: AggregationSchema.statements),
        Migration(version: 8, name: "capacity_clustered", statements: AggregationSchema.clustered),
        Migration(version: 15, name: "capacity_row_counts", statements: CapacityCountStore.statements),
    ]
    static let errorCodes: [ErrorCode] = [.databaseConnectionError, .syncDataError]

    let collector: CapacityCollector
    let aggregator: CapacityAggregator
    /// Where ledger pages start; dropped when instances or their database counts change.
    let positions: LedgerPositions
    let timezone: String
    let routes: [any RouteGroup]

    init(services: AppServices, built: FeatureSet) {
        let calendar = BusinessCalendar(identifier: services.configuration.timezone)
        let positions = LedgerPositions()
        self.positions = positions
        services.instanceEvents.subscribe { positions.invalidate() }
        var collector = CapacityCollector(
            store: services.store, secrets: services.secrets, clock: services.clock, calendar: calendar,
            excluded: services.configuration.capacityExcluded, logger: services.logger, ledger: positions)
        collector.externalPolicy = ExternalNetworkPolicy(
            allow: services.configuration.externalAllow, localPorts: services.configuration.localPorts)
        self.collector = collector
        aggregator = CapacityAggregator(store: services.store, clock: services.clock)
        timezone = services.configuration.timezone
        routes = [
            DatabaseRoutes(
                ledger: LedgerQuery.Source(store: services.store, clock: services.clock, positions: positions),
                enqueue: services.enqueue, placements: services.instancePlacements),
            TableSizeRoutes(
                sizes: TableSizes(
                    tables: TableSizeStore(store: services.store), collector: collector, clock: services.clock,
                    logger: services.logger)),
            CapacityRoutes(store: services.store, aggregator: aggregator, calendar: calendar, clock: services.clock),
            ForecastRoutes(forecasts: ForecastStore(store: services.store), calendar: calendar, clock: services.clock),
        ]
    }

    var jobKinds: [JobKind] { CapacityJobs.kinds(collector: collector, aggregator: aggregator) }
    var schedules: [ScheduleDefinition] { CapacityJobs.schedules(timezone: timezone) }
    var routeGroups: [any RouteGroup] { routes }
}

extension AppServices {
    public var capacity: CapacityCollector { features.get(CapacityFeature.self).collector }
    public var aggregator: CapacityAggregator { features.get(CapacityFeature.self).aggregator }
    public var ledgerPositions: LedgerPositions { features.get(CapacityFeature.self).positions }
}
