import Foundation
import Logging
import ServiceLifecycle
import SQLKit
import Synchronization

/// Compares local instances' real processes with the store: a crashed server is started again (an instance whose
/// server will not start is marked FAILED after a few tries) and data directories without an instance are reported.
public final class LocalReconciler: Service, Sendable {
    let store: Store
    let providers: ProviderRegistry
    let secrets: SecretBox
    let clock: WallClock
    let logger: Logger
    let interval: Duration
    static let attemptsBeforeFailing = 3
    private let failures = Mutex<[String: Int]>([:])

    public init(store: Store, providers: ProviderRegistry, secrets: SecretBox, clock: WallClock, logger: Logger, interval: Duration = .seconds(30)) {
        self.store = store
        self.providers = providers
        self.secrets = secrets
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.reconcile()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One pass; returns the ids of instances whose servers had to be started.
    @discardableResult
    public func reconcile() async -> [String] {
        guard let local = providers.provider("local") as? LocalProvider else { return [] }
        do {
            let instances = try await store.read { db in try await InstanceStore.localIdle(on: db) }
            var restarted: [String] = []
            for instance in instances where instance.state == .RUNNING {
                if await local.ensureRunning(instance, logger: logger) {
                    failures.withLock { _ = $0.removeValue(forKey: instance.id) }
                    try await recordStorage(instance, local: local)
                    continue
                }
                restarted.append(instance.id)
                let count = failures.withLock { failures -> Int in
                    failures[instance.id, default: 0] += 1
                    return failures[instance.id]!
                }
                if count >= Self.attemptsBeforeFailing {
                    logger.error("local instance does not start; marking it FAILED", metadata: ["instance_id": .string(instance.id)])
                    let now = clock.millis()
                    try await store.write { db in
                        try await InstanceStore.failIfRunning(instance.id, now: now, on: db)
                    }
                }
            }
            let known = try await store.read { db in
                try await InstanceStore.localIds(on: db)
            }
            for orphan in local.orphanDirectories(known: known) {
                logger.warning("orphan instance directory (no instance in the store)", metadata: ["path": .string(orphan)])
            }
            return restarted
        } catch {
            logger.warning("reconciliation failed", metadata: ["error": .string("\(type(of: error))")])
            return []
        }
    }

    /// Measures the instance's data against its storage limit; over the limit is logged on every pass.
    func recordStorage(_ instance: Instance, local: LocalProvider) async throws {
        let used = local.storageUsed(instance)
        let archived = local.archiveBytes(instance)
        try await store.write { db in
            try await InstanceStore.setStorageUsed(instance.id, bytes: used, on: db)
            try await BackupPolicyStore.setArchiveBytes(instance.id, bytes: archived, on: db)
        }
        if used > Int64(instance.resources.storage_gb) * 1_073_741_824 {
            logger.warning(
                "local instance is over its storage limit",
                metadata: ["instance_id": .string(instance.id), "used_bytes": .stringConvertible(used), "limit_gb": .stringConvertible(instance.resources.storage_gb)])
        }
    }

    /// Ports given to local instances that still exist.
    static func portsInUse(_ store: Store) async throws -> Set<Int> {
        try await store.read { db in
            Set(try await InstanceStore.local(on: db).flatMap { $0.endpoints.map(\.port) })
        }
    }

    /// Stops every local instance's servers (`fathom instances stop-all`), or only those of one instance.
    @discardableResult
    public func stopAll(only id: String? = nil) async throws -> Int {
        guard let local = providers.provider("local") as? LocalProvider else { return 0 }
        let instances = try await store.read { db in
            try await InstanceStore.local(on: db)
        }.filter { id == nil || $0.id == id }
        for instance in instances { await local.stopAll(instance) }
        return instances.count
    }
}
