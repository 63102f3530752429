/// The asset ledger: schedule groups, sources (sealed credentials), runs as durable jobs, the collector protocol with
/// exec plugins, the ingest of successful collects (`asset-ledger-api.md` §3–§5), and canonical assets with their
/// relations, hand-kept fields, duplicate candidates and merges (§6).
struct AssetLedgerFeature: Feature {
    static let migrations = [
        Migration(version: 11, name: "asset_ledger", statements: AssetLedgerSchema.statements),
        Migration(version: 12, name: "asset_canonical", statements: AssetCanonicalSchema.statements),
        Migration(version: 16, name: "fathom_source", statements: FathomSourceSchema.statements),
        Migration(version: 18, name: "asset_list", statements: AssetListSchema.statements),
        Migration(version: 19, name: "asset_ingest_fillfactor", statements: AssetIngestSchema.statements),
    ]
    static let errorCodes: [ErrorCode] = [
        .configSourceNotFound, .configScheduleGroupNotFound, .configRunNotFound, .configInvalidTimezone, .configInvalidHHMM,
        .pluginExecFailed, .pluginTimeout, .pluginExitNonzero, .pluginOutputInvalidJSON, .pluginOutputTooLarge,
        .pluginSchemaVersionUnsupported, .schemaValidationFailed, .inventoryIncomplete, .inventoryRelationsEmpty,
        .dbWriteFailed, .runWorkerLost, .configLedgerFieldLimitExceeded, .configLedgerFieldKeyInvalid,
        .configAssetMergeAssetTypeMismatch, .configAssetMergeCycleDetected, .configAssetMergeVMRequiresOffline,
        .configDuplicateCandidateNotFound,
    ]

    let groups: ScheduleGroupService
    let sources: SourceService
    let runs: RunService
    let firing: ScheduleGroupFiring
    let executor: RunExecutor
    let runStore: RunStore
    let clock: WallClock
    let assets: AssetService
    let merges: AssetMergeStore
    let duplicates: DuplicateService
    let backend: Store.Backend
    let audit: AuditLog
    let store: Store

    init(services: AppServices, built: FeatureSet) {
        let store = services.store
        self.store = store
        let groupStore = ScheduleGroupStore(store: store)
        let sourceStore = SourceStore(store: store)
        clock = services.clock
        assets = AssetService(assets: AssetStore(store: store), clock: services.clock)
        merges = AssetMergeStore(store: store)
        duplicates = DuplicateService(duplicates: DuplicateStore(store: store), clock: services.clock)
        backend = store.backend
        audit = AuditLog(store: store, clock: services.clock)
        runStore = RunStore(store: store)
        groups = ScheduleGroupService(groups: groupStore, clock: services.clock)
        sources = SourceService(sources: sourceStore, groups: groupStore, secrets: services.secrets, clock: services.clock)
        runs = RunService(
            runs: runStore, sources: sourceStore, store: store, jobs: services.jobs, runner: services.runner, clock: services.clock)
        firing = ScheduleGroupFiring(groups: groupStore, sources: sourceStore, runs: runs, clock: services.clock)
        services.instancePlacements.provide(PlacementStore(store: store))
        executor = RunExecutor(
            runs: runStore, sources: sourceStore, sourceService: sources, ingest: IngestStore(store: store),
            clock: services.clock, logger: services.logger)
    }

    var jobKinds: [JobKind] {
        AssetLedgerJobs.kinds(executor: executor, firing: firing, runs: runStore, duplicates: duplicates, clock: clock)
    }
    var schedules: [ScheduleDefinition] { AssetLedgerJobs.schedules }

    var routeGroups: [any RouteGroup] {
        [
            ScheduleGroupRoutes(service: groups, audit: audit), SourceRoutes(service: sources, audit: audit),
            SourceCredentialRoutes(service: sources, audit: audit), RunRoutes(service: runs, firing: firing, audit: audit), AssetRoutes(
                service: assets, export: AssetExport(assets: AssetStore(store: store)), audit: audit, clock: clock), LedgerFieldRoutes(service: assets),
            AssetMergeRoutes(service: assets, merges: merges, backend: backend), DuplicateRoutes(service: duplicates),
            AuditRoutes(audit: audit),
        ]
    }
}
