import Foundation
import Logging
import PostgresNIO

/// What a scheduled backup costs a busy instance, and how fast a point-in-time restore replays a long stretch of
/// WAL. Used by `fathom bench backups`: a pgbench database of `sizeMB`, WAL archiving on, then
/// 1. pgbench at full speed while the instance's backup policy fires (the real scheduled path): transactions per
///    second before the backup against while it runs;
/// 2. `walMinutes` of steady pgbench load at `walRate` transactions per second after that base backup, then a
///    restore to the moment the load ended, checked row for row, timed, with the WAL replayed per second.
public enum BackupBenchmark {
    public struct Settings: Sendable {
        public var sizeMB = 1024
        public var clients = 4
        public var walMinutes = 10.0
        public var walRate = 400
        public init() {}
    }

    public static func run(services: AppServices, settings: Settings, say: @Sendable (String) -> Void) async throws {
        let bench = try await InstanceBenchmark.Bench(services: services, projectName: "bench-backups")
        let loops = services.runner.start()
        defer { Task { await services.runner.stop(loops) } }
        let policy = #","backup_policy":{"enabled":false,"pitr_enabled":true,"timezone":"UTC"}"#
        let (instance, createOp, _) = try await bench.plane.createInstance(
            bench.principal, project: bench.project, try InstanceBenchmark.Bench.createBody("bench-backups", ha: false, extra: policy))
        _ = try await bench.wait(createOp)
        let target = try await bench.superuser(instance.id)
        let pgbench = try PGBench(target: target, version: instance.version)

        let scale = max(1, settings.sizeMB / 15)
        say("pgbench -i -s \(scale) …")
        let loaded = ContinuousClock.now
        try await pgbench.initialize(scale: scale)
        let size = try await scalar(target, "SELECT pg_database_size('postgres')::text")
        say(String(format: "loaded %.0f MB in %@ s", (Double(size) ?? 0) / 1_048_576, InstanceBenchmark.seconds(ContinuousClock.now - loaded)))

        let (backup, walStart) = try await scheduledBackupUnderLoad(bench, instance: instance, pgbench: pgbench, clients: settings.clients, say: say)
        try await pointInTimeAfterSteadyLoad(bench, instance: instance, target: target, pgbench: pgbench, walStart: walStart,
            settings: settings, say: say)
        _ = try await bench.wait(try await bench.plane.deleteInstance(bench.principal, project: bench.project, id: instance.id).1)
        _ = try await bench.wait(try await bench.plane.deleteBackup(bench.principal, project: bench.project, id: backup.id).1)
    }

    /// Full-speed pgbench; the policy's start time is set to the next minute and the due backup started as the
    /// sweep would. Returns the scheduled backup and the WAL position just before it began.
    static func scheduledBackupUnderLoad(
        _ bench: InstanceBenchmark.Bench, instance: Instance, pgbench: PGBench, clients: Int, say: @Sendable (String) -> Void
    ) async throws -> (Backup, String) {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // At least 40 s of load before the slot: the baseline.
        let slot = utc.nextDate(after: Date().addingTimeInterval(40), matching: DateComponents(second: 0), matchingPolicy: .nextTime)!
        let hhmm = String(format: "%02d:%02d", utc.component(.hour, from: slot), utc.component(.minute, from: slot))
        let patch = try JSONDecoder().decode(UpdateInstanceBody.self, from: Data(#"{"backup_policy":{"enabled":true,"start_time":"\#(hhmm)"}}"#.utf8))
        if let change = try await bench.plane.updateInstance(bench.principal, project: bench.project, id: instance.id, patch).1 {
            _ = try await bench.wait(change)
        }
        say("pgbench -c \(clients) at full speed; the backup policy fires at \(hhmm) UTC …")
        let load = try pgbench.startLoad(clients: clients, rate: nil, seconds: 3600)
        let loadStart = Date()
        try await Task.sleep(for: .seconds(slot.timeIntervalSinceNow + 1))
        let walStart = try await scalar(try await bench.superuser(instance.id), "SELECT pg_current_wal_lsn()::text")
        let backupStart = Date().timeIntervalSince(loadStart)
        var backup: Backup?
        while backup?.state != .SUCCEEDED {
            if backup == nil { _ = try await bench.plane.startDueBackups(logger: Logger(label: "bench")) }
            backup = try await bench.plane.listBackups(projectId: bench.project.id, instanceId: instance.id).first { $0.trigger == "scheduled" }
            if let failed = backup, failed.state == .FAILED { throw AppError(.jobFailed, "scheduled backup failed: \(failed.errorMessage ?? "")") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let backupEnd = Date().timeIntervalSince(loadStart)
        try await Task.sleep(for: .seconds(10))
        let progress = try await load.stop()
        let before = PGBench.meanTPS(progress, from: 5, to: backupStart)
        let during = PGBench.meanTPS(progress, from: backupStart + 1, to: backupEnd)
        let after = PGBench.meanTPS(progress, from: backupEnd + 1, to: .infinity)
        say(String(format: "scheduled backup of the loaded instance: %.1f s (archive %.0f MB)", backupEnd - backupStart,
            Double(backup?.sizeBytes ?? 0) / 1_048_576))
        let worst = PGBench.worstWindowTPS(progress, seconds: 10, from: backupStart + 1, to: backupEnd)
        say(String(format: "pgbench tps: before %.0f, during the backup %.0f (%+.1f %%), worst 10 s during it %.0f (%+.1f %%), after %.0f",
            before, during, (during / max(before, 1) - 1) * 100, worst, (worst / max(before, 1) - 1) * 100, after))
        let off = try JSONDecoder().decode(UpdateInstanceBody.self, from: Data(#"{"backup_policy":{"enabled":false}}"#.utf8))
        if let change = try await bench.plane.updateInstance(bench.principal, project: bench.project, id: instance.id, off).1 {
            _ = try await bench.wait(change)
        }
        return (backup!, walStart)
    }

    /// Steady load for `walMinutes`, then a restore to the moment it ended; the restored instance must hold exactly
    /// the history rows committed by then.
    static func pointInTimeAfterSteadyLoad(
        _ bench: InstanceBenchmark.Bench, instance: Instance, target: PostgresSession.Target, pgbench: PGBench,
        walStart: String, settings: Settings, say: @Sendable (String) -> Void
    ) async throws {
        say(String(format: "steady load: %d tps for %.1f min …", settings.walRate, settings.walMinutes))
        let steady = try pgbench.startLoad(clients: 2, rate: settings.walRate, seconds: Int(settings.walMinutes * 60))
        let progress = try await steady.finish()
        let achieved = PGBench.meanTPS(progress, from: 0, to: .infinity)
        try await Task.sleep(for: .milliseconds(1100))
        let rows = try await scalar(target, "SELECT count(*)::text FROM pgbench_history")
        let wal = Double(try await scalar(target, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '\(walStart)')::bigint::text")) ?? 0
        let moment = Date()
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await scalar(target, "WITH w AS (INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 1, now()) RETURNING 1) SELECT count(*)::text FROM w")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let (_, restoreOp) = try await bench.plane.restoreInstance(
            bench.principal, project: bench.project, id: instance.id, backupId: nil, pointInTime: formatter.string(from: moment))
        let restoreTime = try await bench.wait(restoreOp).1
        let restoredRows = try await scalar(try await bench.superuser(instance.id), "SELECT count(*)::text FROM pgbench_history")
        guard restoredRows == rows else {
            throw AppError(.jobFailed, "restored instance holds \(restoredRows) history rows, \(rows) were committed at the moment")
        }
        say(String(format: "WAL since the base backup began: %.0f MB (load ran at %.0f tps)", wal / 1_048_576, achieved))
        say(String(format: "point-in-time restore to the end of the load: %@ s, %.1f MB of WAL replayed per second; %@ history rows, as committed",
            InstanceBenchmark.seconds(restoreTime), wal / 1_048_576 / max(0.001, restoreTime.seconds), rows))
    }

    static func scalar(_ target: PostgresSession.Target, _ sql: String) async throws -> String {
        let logger = Logger(label: "bench")
        return try await PostgresSession.with(target, timeout: .seconds(600), logger: logger) { connection in
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
                return value
            }
            return ""
        }
    }
}
