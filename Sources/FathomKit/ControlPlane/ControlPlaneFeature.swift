import Logging
import ServiceLifecycle

/// The DBaaS control plane: projects, instances, operations, backups and database users under
/// `/v1/projects/{project_id}/…`, run by the providers (`local`, `external`).
struct ControlPlaneFeature: Feature {
    static let migrations = [
        Migration(version: 4, name: "control_plane", statements: ControlPlaneSchema.statements),
        Migration(version: 5, name: "instance_storage_used", statements: { _ in
            ["ALTER TABLE instances ADD COLUMN storage_used_bytes BIGINT"]
        }),
        Migration(version: 10, name: "managed_databases", statements: ManagedDatabaseStore.statements),
        Migration(version: 17, name: "backup_policies", statements: BackupPolicyStore.statements),
    ]
    static let errorCodes: [ErrorCode] = [.quotaExceeded, .operationInProgress, .engineNotSupported]

    let plane: ControlPlane
    let identity: Identity
    let placements: InstancePlacements
    let reconciler: @Sendable () -> LocalReconciler
    let logger: Logger

    init(services: AppServices, built: FeatureSet) {
        identity = services.identity
        placements = services.instancePlacements
        let providers = ProviderRegistry()
        let configuration = services.configuration
        providers.register(
            ExternalProvider(policy: ExternalNetworkPolicy(allow: configuration.externalAllow, localPorts: configuration.localPorts)))
        providers.register(DemoProvider())
        let store = services.store
        providers.register(
            LocalProvider(dataDir: services.configuration.dataDir, ports: services.configuration.localPorts) {
                (try? await LocalReconciler.portsInUse(store)) ?? []
            })
        plane = ControlPlane(
            store: store, clock: services.clock, secrets: services.secrets, providers: providers, runner: services.runner,
            jobKinds: services.jobKinds, defaultProvider: services.configuration.defaultProvider, tenancy: services.tenancy,
            instanceEvents: services.instanceEvents)
        let logger = services.logger
        self.logger = logger
        reconciler = { [plane] in
            LocalReconciler(
                store: store, providers: plane.providers, secrets: plane.secrets, clock: plane.clock, logger: logger)
        }
    }

    var jobKinds: [JobKind] { ControlPlaneJobs.kinds(plane: plane) + BackupScheduleJobs.kinds(plane: plane) }

    var schedules: [ScheduleDefinition] { BackupScheduleJobs.schedules }

    var routeGroups: [any RouteGroup] {
        [
            ProjectRoutes(plane: plane, identity: identity), InstanceRoutes(plane: plane, placements: placements),
            OperationRoutes(plane: plane, runner: plane.runner), BackupRoutes(plane: plane), DatabaseUserRoutes(plane: plane),
            ManagedDatabaseRoutes(plane: plane),
        ]
    }

    /// Keeps local instances' servers running, and releases what crash-interrupted give-ups left held.
    var workerServices: [any Service] { [reconciler(), GiveUpSweeper(plane: plane, logger: logger)] }
}

extension AppServices {
    public var controlPlane: ControlPlane { features.get(ControlPlaneFeature.self).plane }
    public var providers: ProviderRegistry { controlPlane.providers }
    public func makeReconciler() -> LocalReconciler { features.get(ControlPlaneFeature.self).reconciler() }

    /// Local instances whose servers outlive `fathom serve` (they keep serving their clients; the next start
    /// reconciles them), for the shutdown log.
    public func localInstancesLeftRunning() async -> [String] {
        (try? await store.read { db in try await InstanceStore.local(on: db) })?.filter { $0.state == .RUNNING }.map(\.id) ?? []
    }
}
