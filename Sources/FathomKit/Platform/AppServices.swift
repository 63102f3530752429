import Logging

/// The long-lived parts every route and command uses, built once by `buildServices`.
public struct AppServices: Sendable {
    public let configuration: FathomConfiguration
    public let store: Store
    public let secrets: SecretBox
    public let identity: Identity
    public let metrics: MetricsRegistry
    public let clock: WallClock
    public let logger: Logger
    public let jobs: JobQueue
    public let jobKinds: JobRegistry
    public let schedules: ScheduleStore
    /// Runs jobs when this process has the worker role; always present so cancels can reach local jobs.
    public let runner: JobRunner
    public let providers: ProviderRegistry
    public let controlPlane: ControlPlane
    public let capacity: CapacityCollector
    public let aggregator: CapacityAggregator
    /// Where ledger pages start; dropped by the collector and the control plane when instances or counts change.
    public let ledgerPositions = LedgerPositions()

    public init(
        configuration: FathomConfiguration, store: Store, secrets: SecretBox, clock: WallClock = .system,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.secrets = secrets
        self.clock = clock
        self.logger = logger
        let metrics = MetricsRegistry()
        self.metrics = metrics
        self.identity = Identity(store: store, configuration: configuration, clock: clock, logger: logger)
        let jobs = JobQueue(store: store, clock: clock)
        self.jobs = jobs
        self.jobKinds = JobRegistry()
        self.schedules = ScheduleStore(store: store, clock: clock)
        var options = JobRunner.Options()
        options.concurrency = configuration.workers
        options.lease = .seconds(configuration.jobLeaseSeconds)
        options.heartbeat = .seconds(max(1, configuration.jobLeaseSeconds / 5))
        options.recoveryInterval = .seconds(max(1, configuration.jobLeaseSeconds / 2))
        self.runner = JobRunner(queue: jobs, registry: jobKinds, options: options, logger: logger, metrics: metrics)
        let providers = ProviderRegistry()
        providers.register(
            ExternalProvider(policy: ExternalNetworkPolicy(allow: configuration.externalAllow, localPorts: configuration.localPorts)))
        let portStore = store
        providers.register(
            LocalProvider(dataDir: configuration.dataDir, ports: configuration.localPorts) {
                (try? await LocalReconciler.portsInUse(portStore)) ?? []
            })
        self.providers = providers
        self.controlPlane = ControlPlane(
            store: store, clock: clock, secrets: secrets, providers: providers, runner: runner, jobKinds: jobKinds,
            defaultProvider: configuration.defaultProvider, ledger: ledgerPositions)
        var capacity = CapacityCollector(
            store: store, secrets: secrets, clock: clock, calendar: BusinessCalendar(identifier: configuration.timezone),
            excluded: configuration.capacityExcluded, logger: logger, ledger: ledgerPositions)
        capacity.externalPolicy = ExternalNetworkPolicy(allow: configuration.externalAllow, localPorts: configuration.localPorts)
        self.capacity = capacity
        self.aggregator = CapacityAggregator(store: store, clock: clock)
        JobCatalog.register(jobKinds, services: self)
        CapacityJobs.register(jobKinds, collector: capacity, aggregator: aggregator)
        ControlPlaneJobs.register(jobKinds, plane: controlPlane)
        metrics.addCollector { await JobMetrics.render(jobs) }
    }

    /// Enqueues a job and wakes the local runner.
    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> Int64 {
        let maxAttempts = jobKinds.kind(job.kind)?.maxAttempts ?? 3
        let now = clock.millis()
        let id = try await store.write { db in try await JobQueue.insert(job, maxAttempts: maxAttempts, now: now, on: db) }
        runner.wake()
        return id
    }

    /// Enqueues many jobs in one transaction.
    public func enqueueBatch(_ jobs: [NewJob]) async throws {
        let now = clock.millis()
        let kinds = jobKinds
        try await store.write { db in
            for job in jobs {
                _ = try await JobQueue.insert(job, maxAttempts: kinds.kind(job.kind)?.maxAttempts ?? 3, now: now, on: db)
            }
        }
        runner.wake()
    }

    /// Keeps local instances' servers running (started with the worker role).
    public func makeReconciler() -> LocalReconciler {
        LocalReconciler(store: store, providers: providers, secrets: secrets, clock: clock, logger: logger)
    }

    /// The scheduler for this process (started with the worker role).
    public func makeScheduler() -> Scheduler {
        Scheduler(schedules: schedules, registry: jobKinds, clock: clock, logger: logger) { [runner] in runner.wake() }
    }

    /// Opens the configured store, applies pending migrations and loads the secret key.
    public static func open(
        configuration: FathomConfiguration, clock: WallClock = .system, logger: Logger
    ) async throws -> AppServices {
        // The data directory holds the SQLite store, the key file and local instances: private before anything is written.
        try StoreFiles.secureDirectory(configuration.dataDir)
        let store = try await Store.open(url: configuration.resolvedDatabaseURL, logger: logger)
        do {
            try await Migrations.run(on: store)
            let secrets = try SecretBox.load(environmentKey: configuration.secretKey, dataDir: configuration.dataDir)
            let services = AppServices(configuration: configuration, store: store, secrets: secrets, clock: clock, logger: logger)
            for definition in JobCatalog.schedules(timezone: configuration.timezone) + CapacityJobs.schedules(timezone: configuration.timezone) {
                try await services.schedules.ensure(definition)
            }
            return services
        } catch {
            await store.close()
            throw error
        }
    }
}
