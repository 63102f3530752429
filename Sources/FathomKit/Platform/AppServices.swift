import Logging
import ServiceLifecycle
import Synchronization

/// The shared parts every feature builds on, built once by `open`; the features themselves (`features`) are
/// assembled from `FeatureList`. A feature's own services are reached through its entry point
/// (`services.features.get(CapacityFeature.self)`, or an accessor the feature adds to this type).
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
    /// Who may act in which project: the route table resolves `.project(…)` routes with it.
    let tenancy: ProjectAccess
    /// Instance changes, for features that cache by instance.
    public let instanceEvents = InstanceEvents()
    /// Which machine each instance runs on (provided by the asset ledger, shown by the DBaaS and ledger views).
    public let instancePlacements = InstancePlacements()
    private let built = FeatureSlot()

    /// The features of `FeatureList`, built over these services.
    public var features: FeatureSet { built.value }

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
        self.tenancy = ProjectAccess(projects: ProjectStore(store: store))
        built.set(FeatureList.build(self))
        for feature in features.all {
            for kind in feature.jobKinds { jobKinds.register(kind) }
        }
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

    /// The scheduler for this process (started with the worker role).
    public func makeScheduler() -> Scheduler {
        Scheduler(schedules: schedules, registry: jobKinds, clock: clock, logger: logger) { [runner] in runner.wake() }
    }

    /// What a process with the worker role runs: the job runner, the scheduler and each feature's services.
    public func workerServices() -> [any Service] {
        [runner, makeScheduler()] + features.all.flatMap(\.workerServices)
    }

    /// What every process runs, whatever its role: on PostgreSQL the listener for other processes' writes, and each
    /// feature's replica services.
    public func replicaServices() -> [any Service] {
        let changes: [any Service] = store.backend == .postgres
            ? [StoreChangeListener(url: configuration.resolvedDatabaseURL, store: store, logger: logger)] : []
        return changes + features.all.flatMap(\.replicaServices)
    }

    /// Opens the configured store, applies pending migrations, loads the secret key and inserts the features'
    /// schedules.
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
            for definition in services.features.all.flatMap(\.schedules) {
                try await services.schedules.ensure(definition)
            }
            return services
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Holds the feature set, which is built after (and over) the services that contain it.
private final class FeatureSlot: Sendable {
    private let slot = Mutex<FeatureSet?>(nil)

    func set(_ features: FeatureSet) { slot.withLock { $0 = features } }

    var value: FeatureSet {
        guard let features = slot.withLock({ $0 }) else { preconditionFailure("features are built in AppServices.init") }
        return features
    }
}
