import Foundation
import SQLKit

/// The SQL behind `StoreInvariants`: each query returns one line per row that breaks an invariant.
struct InvariantStore: Sendable {
    let store: Store

    /// Operations whose job is still queued or running.
    func unfinishedOperations() async throws -> [String] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT o.id, o.type, j.id AS job_id, j.state FROM operations o JOIN jobs j ON j.id = o.job_id
                WHERE j.state IN ('queued', 'running') ORDER BY o.created_at
                """
            ).all().map {
                "operation \(try $0.string("id")) (\(try $0.string("type"))) is \(try $0.string("state")) (job \(try $0.int64("job_id")))"
            }
        }
    }

    /// Asset-ledger runs still queued or running.
    func unfinishedAssetRuns() async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT run_id, status FROM asset_runs WHERE status IN ('Queued', 'Running') ORDER BY created_at")
                .all().map { "asset run \(try $0.string("run_id")) is \(try $0.string("status"))" }
        }
    }

    /// Jobs marked running: with every server stopped, nobody holds their lease.
    func runningJobs() async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT id, kind, lease_owner FROM jobs WHERE state = 'running' ORDER BY id").all().map {
                "job \(try $0.int64("id")) (\(try $0.string("kind"))) is running under \(try $0.optionalString("lease_owner") ?? "no lease")"
            }
        }
    }

    /// Instances in a state that only an operation in progress may hold.
    func transitionalInstances(_ states: [String]) async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT id, state FROM instances WHERE state IN (\(binds: states)) ORDER BY instance_id")
                .all().map { "instance \(try $0.string("id")) is \(try $0.string("state"))" }
        }
    }

    /// Backups neither finished nor deleted.
    func unsettledBackups() async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT id, state FROM backups WHERE state IN ('PENDING', 'RUNNING', 'DELETING') ORDER BY created_at")
                .all().map { "backup \(try $0.string("id")) is \(try $0.string("state"))" }
        }
    }

    /// Jobs whose attempts tell that they ran more often than allowed, ran again with no recorded reason, or
    /// finished successfully without ever being claimed.
    func jobsRunMoreThanOnce() async throws -> [String] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT id, kind, state, attempts, max_attempts, error_code FROM jobs
                WHERE attempts > max_attempts OR (attempts > 1 AND error_code IS NULL)
                   OR (attempts = 0 AND state IN ('succeeded', 'partial'))
                ORDER BY id
                """
            ).all().map { row in
                let attempts = try row.int("attempts"), max = try row.int("max_attempts")
                let why = attempts > max
                    ? "ran \(attempts) times, at most \(max) allowed"
                    : attempts == 0 ? "is \(try row.string("state")) without ever running" : "ran \(attempts) times with no retry reason recorded"
                return "job \(try row.int64("id")) (\(try row.string("kind"))) \(why)"
            }
        }
    }

    /// One fired slot of a schedule.
    struct Fire: Sendable {
        var schedule: String
        var slotAt: Int64
        var jobId: Int64
        var anchorAt: Int64
        var intervalMinutes: Int?
    }

    /// Every fired slot with its schedule's current anchor and interval, in slot order per schedule.
    func fires() async throws -> [Fire] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT f.schedule_name, f.slot_at, f.job_id, s.anchor_at, s.interval_minutes
                FROM schedule_fires f JOIN schedules s ON s.name = f.schedule_name
                ORDER BY f.schedule_name, f.slot_at
                """
            ).all().map { row in
                Fire(
                    schedule: try row.string("schedule_name"), slotAt: try row.int64("slot_at"), jobId: try row.int64("job_id"),
                    anchorAt: try row.int64("anchor_at"),
                    intervalMinutes: try row.decodeNil(column: "interval_minutes") ? nil : row.int("interval_minutes"))
            }
        }
    }

    /// Rows naming an instance or operation (by text id, without a foreign key) that does not exist.
    func danglingReferences() async throws -> [String] {
        let references: [(table: String, column: String, key: String, target: String)] = [
            ("operations", "instance_id", "id", "instances"),
            ("backups", "instance_id", "id", "instances"),
            ("database_users", "instance_id", "id", "instances"),
            ("instances", "active_operation_id", "id", "operations"),
        ]
        return try await store.read { db in
            var lines: [String] = []
            for reference in references {
                // Table and column names come from the list above, never from input.
                let rows = try await db.raw(
                    """
                    SELECT t.\(unsafeRaw: reference.column) AS ref FROM \(unsafeRaw: reference.table) t
                    WHERE t.\(unsafeRaw: reference.column) IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM \(unsafeRaw: reference.target) r WHERE r.\(unsafeRaw: reference.key) = t.\(unsafeRaw: reference.column))
                    """
                ).all()
                for row in rows {
                    lines.append("\(reference.table).\(reference.column) names \(try row.string("ref")), which is not in \(reference.target)")
                }
            }
            return lines
        }
    }

    /// SQLite's own page-level check and its foreign-key check; PostgreSQL checks pages itself and enforces
    /// foreign keys on every write, so there only constraints left unvalidated are reported.
    func integrity() async throws -> [String] {
        switch store.backend {
        case .sqlite:
            return try await store.read { db in
                var lines = try await db.raw("PRAGMA integrity_check").all().compactMap { row -> String? in
                    let text = try row.string("integrity_check")
                    return text == "ok" ? nil : "integrity_check: \(text)"
                }
                for row in try await db.raw("PRAGMA foreign_key_check").all() {
                    let rowid = try row.decodeNil(column: "rowid") ? "?" : String(try row.int64("rowid"))
                    lines.append("foreign_key_check: \(try row.string("table")) row \(rowid) references a missing \(try row.string("parent"))")
                }
                return lines
            }
        case .postgres:
            return try await store.read { db in
                try await db.raw(
                    """
                    SELECT conname, conrelid::regclass::text AS tbl FROM pg_constraint
                    WHERE NOT convalidated AND connamespace = current_schema()::regnamespace
                    """
                ).all().map { "constraint \(try $0.string("conname")) on \(try $0.string("tbl")) is not validated" }
            }
        }
    }

    /// Local instances (not deleted), for comparison with the servers that really run.
    func localInstances() async throws -> [Instance] {
        try await store.read { db in try await InstanceStore.local(on: db) }
    }
}
