import Foundation
import Logging

extension ControlPlane {
    static let dayMillis: Int64 = 86_400_000
    /// Who scheduled and retention operations are created by.
    static let systemPrincipal = "system"

    /// Starts the due scheduled backup of every instance whose policy is enabled: the latest slot since the last
    /// one fired (so after downtime only one, as catch-up). A slot whose instance is busy or not RUNNING is not
    /// recorded and is tried again on the next sweep, so a schedule is never skipped; the slot and its backup are
    /// recorded in one transaction, and a unique index makes a slot yield one backup across replicas.
    /// Returns the backups started.
    func startDueBackups(logger: Logger) async throws -> [String] {
        let now = clock.millis()
        let instances = try await store.read { db in try await BackupPolicyStore.instancesWithPolicy(on: db) }
        var started: [String] = []
        for instance in instances {
            guard let policy = instance.backupPolicy, policy.enabled, let cadence = policy.cadence,
                let zone = TimeZone(identifier: policy.timezone),
                providers.provider(instance.provider)?.supportedActions.contains(.backup) == true
            else { continue }
            let anchor = max(instance.backupAnchorAt ?? instance.createdAt, instance.backupLastSlotAt ?? Int64.min)
            guard let slot = ScheduleSlots.latestDue(cadence, timezone: zone, anchor: Millis.date(anchor), now: Millis.date(now)) else {
                continue
            }
            let slotMillis = Millis.from(slot)
            let backupId = ResourceID.make("bkp")
            let expiresAt = now + Int64(policy.retention_days) * Self.dayMillis
            do {
                let operationId: String? = try await withOperation { db in
                    guard try await BackupPolicyStore.recordSlot(instance.id, slot: slotMillis, on: db) else { return nil }
                    try await BackupStore.insert(
                        id: backupId, projectId: instance.projectId, instanceId: instance.id, kind: "full", now: now,
                        trigger: "scheduled", scheduledSlotAt: slotMillis, expiresAt: expiresAt, on: db)
                    return try await startOperation(
                        OperationRequest(
                            type: .CREATE_BACKUP, projectId: instance.projectId, instanceId: instance.id, target: ("backup", backupId),
                            parameters: [
                                "backup_id": .string(backupId), "from_state": .string(InstanceState.RUNNING.rawValue),
                                "trigger": "scheduled", "slot_at": .string(Timestamp.iso8601(slot)),
                            ],
                            createdBy: Self.systemPrincipal, allowed: [.RUNNING], newState: .BACKING_UP),
                        on: db)
                }
                if operationId != nil { started.append(backupId) }
            } catch let error as AppError {
                // Busy or not running: the slot stays due and the next sweep tries again.
                logger.info("scheduled backup deferred", metadata: ["instance_id": .string(instance.id), "reason": .string(error.message)])
            } catch let error as StoreError where error.isUniqueViolation {
                continue
            }
        }
        return started
    }

    /// Deletes expired backups (through DELETE_BACKUP operations, as a person would), except those a restore that
    /// has not finished is using: they are kept until it ends and go on a later run. Then prunes each archiving
    /// instance's WAL archive to what its oldest kept backup needs.
    func applyRetention(logger: Logger) async throws -> (deleting: [String], keptInUse: [String]) {
        let now = clock.millis()
        let expired = try await store.read { db in try await BackupPolicyStore.expired(now: now, on: db) }
        var deleting: [String] = []
        var kept: [String] = []
        for backup in expired {
            let started: Bool = try await withOperation { db in
                // Checked in the transaction that marks it, so a restore starting now is not left without its backup.
                guard !(try await BackupPolicyStore.inUseByRestores(on: db)).contains(backup.id) else { return false }
                guard try await BackupStore.beginDelete(backup.id, on: db) else { return false }
                _ = try await startOperation(
                    OperationRequest(
                        type: .DELETE_BACKUP, projectId: backup.projectId, instanceId: nil, target: ("backup", backup.id),
                        parameters: ["backup_id": .string(backup.id), "trigger": "retention"], createdBy: Self.systemPrincipal,
                        allowed: [], newState: nil),
                    on: db)
                return true
            }
            if started { deleting.append(backup.id) } else { kept.append(backup.id) }
        }
        try await pruneArchives(logger: logger)
        return (deleting, kept)
    }

    /// Each archiving instance keeps the WAL its oldest kept base backup needs, and everything after it.
    func pruneArchives(logger: Logger) async throws {
        let instances = try await store.read { db in try await BackupPolicyStore.instancesWithPolicy(on: db) }
        for instance in instances where instance.backupPolicy?.pitr_enabled == true {
            guard let provider = providers.provider(instance.provider) else { continue }
            let oldest = try await store.read { db in
                try await BackupPolicyStore.recoverableBackups(instanceId: instance.id, on: db).first
            }
            guard let walStart = oldest?.walStart else { continue }
            do {
                try await provider.pruneArchive(instance, keepingFrom: walStart)
            } catch {
                logger.warning("WAL archive pruning failed", metadata: ["instance_id": .string(instance.id), "error": .string(InstanceDown.reason(error))])
            }
        }
    }
}
