import Foundation
import SQLKit

/// SQL for backup policies (columns of `instances`), the schedule slots they fire and the backups retention drops.
enum BackupPolicyStore {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            "ALTER TABLE instances ADD COLUMN backup_policy TEXT",
            "ALTER TABLE instances ADD COLUMN backup_anchor_at BIGINT",
            "ALTER TABLE instances ADD COLUMN backup_last_slot_at BIGINT",
            // Measured by reconciliation, like storage_used_bytes; counted against the project's storage quota.
            "ALTER TABLE instances ADD COLUMN wal_archive_bytes BIGINT",
            "ALTER TABLE backups ADD COLUMN backup_trigger TEXT NOT NULL DEFAULT 'manual'",
            "ALTER TABLE backups ADD COLUMN scheduled_slot_at BIGINT",
            "ALTER TABLE backups ADD COLUMN expires_at BIGINT",
            "ALTER TABLE backups ADD COLUMN recoverable_from BIGINT",
            "ALTER TABLE backups ADD COLUMN wal_start TEXT",
            // One backup per schedule slot, whichever replica fires it.
            "CREATE UNIQUE INDEX backups_scheduled_slot ON backups (instance_id, scheduled_slot_at) WHERE scheduled_slot_at IS NOT NULL",
            "CREATE INDEX backups_expires ON backups (expires_at) WHERE expires_at IS NOT NULL",
        ]
    }

    /// Stores the policy; `anchorAt` (when the schedule is retimed) keeps slots already past from firing.
    static func setPolicy(_ instanceId: String, _ policy: BackupPolicy, anchorAt: Int64?, on db: any SQLDatabase) async throws {
        var query: SQLQueryString = "UPDATE instances SET backup_policy = \(bind: InstanceStore.json(policy))"
        if let anchorAt { query += ", backup_anchor_at = \(bind: anchorAt)" as SQLQueryString }
        try await db.raw(query + " WHERE id = \(bind: instanceId)" as SQLQueryString).run()
    }

    /// Live instances that have a backup policy.
    static func instancesWithPolicy(on db: any SQLDatabase) async throws -> [Instance] {
        try await db.raw(
            "SELECT \(unsafeRaw: InstanceStore.columns) FROM instances i WHERE i.backup_policy IS NOT NULL AND i.state <> 'DELETED'"
        ).all().map(InstanceStore.decode)
    }

    /// Records that `slot` started its backup; false when another run recorded this slot (or a later one) first.
    static func recordSlot(_ instanceId: String, slot: Int64, on db: any SQLDatabase) async throws -> Bool {
        !(try await db.raw(
            """
            UPDATE instances SET backup_last_slot_at = \(bind: slot)
            WHERE id = \(bind: instanceId) AND (backup_last_slot_at IS NULL OR backup_last_slot_at < \(bind: slot))
            RETURNING id
            """
        ).all().isEmpty)
    }

    static func setArchiveBytes(_ instanceId: String, bytes: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE instances SET wal_archive_bytes = \(bind: bytes) WHERE id = \(bind: instanceId)").run()
    }

    /// A new retention period applies to the instance's scheduled backups already taken.
    static func setExpiry(instanceId: String, retentionMillis: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE backups SET expires_at = created_at + \(bind: retentionMillis)
            WHERE instance_id = \(bind: instanceId) AND backup_trigger = 'scheduled' AND state <> 'DELETED'
            """
        ).run()
    }

    /// Backups past their expiry that can be deleted now (finished ones; not already being deleted).
    static func expired(now: Int64, on db: any SQLDatabase) async throws -> [Backup] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: BackupStore.columns) FROM backups
            WHERE expires_at IS NOT NULL AND expires_at <= \(bind: now) AND state IN ('SUCCEEDED', 'FAILED')
            ORDER BY expires_at, id
            """
        ).all().map(BackupStore.decode)
    }

    /// Once archiving stops, the archive has a gap: no existing backup can start a point-in-time restore any more.
    static func forgetArchiveStarts(instanceId: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE backups SET recoverable_from = NULL WHERE instance_id = \(bind: instanceId) AND recoverable_from IS NOT NULL"
        ).run()
    }

    /// The instance's finished backups a point-in-time restore can start from, oldest first.
    static func recoverableBackups(instanceId: String, on db: any SQLDatabase) async throws -> [Backup] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: BackupStore.columns) FROM backups
            WHERE instance_id = \(bind: instanceId) AND state = 'SUCCEEDED' AND recoverable_from IS NOT NULL
            ORDER BY recoverable_from, id
            """
        ).all().map(BackupStore.decode)
    }

    /// Backups that restores not yet finished are using, in place or into a new instance (retention keeps them
    /// until those end).
    static func inUseByRestores(on db: any SQLDatabase) async throws -> Set<String> {
        let rows = try await db.raw(
            """
            SELECT o.type, o.parameters FROM operations o JOIN jobs j ON j.id = o.job_id
            WHERE o.type IN ('RESTORE_INSTANCE', 'CREATE_INSTANCE') AND j.state IN ('queued', 'running')
            """
        ).all()
        return Set(try rows.compactMap { row in
            let parameters = JSONText.decode(try row.string("parameters"))
            return try row.string("type") == "RESTORE_INSTANCE"
                ? parameters["backup_id"]?.stringValue : parameters["restore_backup_id"]?.stringValue
        })
    }
}
