/// The asset ledger, part 1: schedule groups, sources (sealed credentials), runs as durable jobs, the collector
/// protocol with exec plugins, and the ingest of successful collects (`asset-ledger-api.md` §3–§5).
struct AssetLedgerFeature: Feature {
    static let migrations = [Migration(version: 11, name: "asset_ledger", statements: AssetLedgerSchema.statements)]
    static let errorCodes: [ErrorCode] = [
        .configSourceNotFound, .configScheduleGroupNotFound, .configRunNotFound, .configInvalidTimezone, .configInvalidHHMM,
        .pluginExecFailed, .pluginTimeout, .pluginExitNonzero, .pluginOutputInvalidJSON, .pluginOutputTooLarge,
        .pluginSchemaVersionUnsupported, .schemaValidationFailed, .inventoryIncomplete, .inventoryRelationsEmpty,
        .dbWriteFailed, .runWorkerLost,
    ]

    let groups: ScheduleGroupService
    let sources: SourceService
    let runs: RunService
    let firing: ScheduleGroupFiring
    let executor: RunExecutor
    let runStore: RunStore
    let clock: WallClock

    init(services: AppServices, built: FeatureSet) {
        let store = services.store
        let groupStore = ScheduleGroupStore(store: store)
        let sourceStore = SourceStore(store: store)
        clock = services.clock
        runStore = RunStore(store: store)
        groups = ScheduleGroupService(groups: groupStore, clock: services.clock)
        sources = SourceService(sources: sourceStore, groups: groupStore, secrets: services.secrets, clock: services.clock)
        runs = RunService(
            runs: runStore, sources: sourceStore, store: store, jobs: services.jobs, runner: services.runner, clock: services.clock)
        firing = ScheduleGroupFiring(groups: groupStore, sources: sourceStore, runs: runs, clock: services.clock)
        executor = RunExecutor(
            runs: runStore, sources: sourceStore, sourceService: sources, ingest: IngestStore(store: store),
            clock: services.clock, logger: services.logger)
    }

    var jobKinds: [JobKind] { AssetLedgerJobs.kinds(executor: executor, firing: firing, runs: runStore, clock: clock) }
    var schedules: [ScheduleDefinition] { AssetLedgerJobs.schedules }

    var routeGroups: [any RouteGroup] {
        [
            ScheduleGroupRoutes(service: groups), SourceRoutes(service: sources), SourceCredentialRoutes(service: sources),
            RunRoutes(service: runs, firing: firing),
        ]
    }
}
