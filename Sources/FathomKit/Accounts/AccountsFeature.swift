import Foundation
import ServiceLifecycle

/// Accounts and privileges of every instance, their risk classification by rules, the history of every change,
/// and the cache over them (`/api/v1/accounts/*`, `/api/v1/account-change-logs`, `/api/v1/cache/*`, sync actions).
struct AccountsFeature: Feature {
    static let migrations = AccountsSchema.migrations

    let cache: AccountCache
    let sync: AccountSync
    let classifier: ClassificationService
    let accounts: AccountService
    let timezone: String
    let routes: [any RouteGroup]
    /// Applies other replicas' invalidations (PostgreSQL stores only: SQLite replicas are one process).
    let listener: CacheInvalidationListener?

    init(services: AppServices, built: FeatureSet) {
        let clock = services.clock
        let cache = AccountCache(now: { clock.millis() })
        self.cache = cache
        listener = Self.connectReplicas(cache, services: services)
        // Renamed, relabelled or deleted instances: their cached details are stale everywhere.
        services.instanceEvents.subscribe { Task { await cache.invalidate(.instanceDetails) } }
        classifier = ClassificationService(store: services.store, clock: clock, logger: services.logger, cache: cache)
        sync = AccountSync(
            store: services.store, collector: built.get(CapacityFeature.self).collector, clock: clock, logger: services.logger,
            cache: cache, classifier: classifier)
        accounts = AccountService(store: services.store, cache: cache)
        timezone = services.configuration.timezone
        let enqueue: @Sendable (NewJob) async throws -> Int64 = { job in try await services.enqueue(job) }
        routes = [
            AccountLedgerRoutes(accounts: accounts, clock: clock),
            AccountChangeLogRoutes(store: services.store),
            AccountSyncRoutes(store: services.store, enqueue: enqueue),
            ClassificationRoutes(service: classifier, enqueue: enqueue),
            ClassificationRuleRoutes(service: classifier),
            AssignmentRoutes(store: services.store, clock: clock),
            CacheRoutes(cache: cache, store: services.store),
        ]
    }

    var jobKinds: [JobKind] { AccountsJobs.kinds(sync: sync, classifier: classifier) }
    var schedules: [ScheduleDefinition] { AccountsJobs.schedules(timezone: timezone) }
    var routeGroups: [any RouteGroup] { routes }
    var replicaServices: [any Service] { listener.map { [$0] } ?? [] }

    /// On PostgreSQL, invalidations are also NOTIFYed to the other replicas, and a listener applies theirs.
    static func connectReplicas(_ cache: AccountCache, services: AppServices) -> CacheInvalidationListener? {
        guard services.store.backend == .postgres else { return nil }
        let replicaId = UUID().uuidString
        let store = services.store
        let logger = services.logger
        cache.setBroadcast { invalidation in
            let message = CacheInvalidationMessage(origin: replicaId, invalidation: invalidation)
            guard let payload = try? String(decoding: JSONEncoder().encode(message), as: UTF8.self) else { return }
            do {
                // Outside a transaction: delivered at once.
                try await store.read { db in try await CacheInvalidationStore.notify(payload, on: db) }
            } catch {
                logger.warning("could not tell other replicas about a cache invalidation")
            }
        }
        return CacheInvalidationListener(
            url: services.configuration.resolvedDatabaseURL, cache: cache, replicaId: replicaId, logger: logger)
    }
}

extension AppServices {
    public var accountSync: AccountSync { features.get(AccountsFeature.self).sync }
    public var accountCache: AccountCache { features.get(AccountsFeature.self).cache }
    public var classification: ClassificationService { features.get(AccountsFeature.self).classifier }
    public var accounts: AccountService { features.get(AccountsFeature.self).accounts }
}
