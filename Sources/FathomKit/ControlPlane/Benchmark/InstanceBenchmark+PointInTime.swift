import Foundation
import Logging
import PostgresNIO

extension InstanceBenchmark {
    /// Point-in-time restore of the loaded instance: WAL archiving on, a base backup, then about `walMB` of WAL
    /// written after it; the restore to a moment after that WAL is timed, and the replay rate is the WAL between
    /// the backup and the moment divided by the restore's time (unpacking included, so a lower bound).
    static func pointInTime(
        services: AppServices, principal: Principal, project: Project, instanceId: String, target: PostgresSession.Target, walMB: Int,
        wait: (Operation) async throws -> (Operation, Duration), say: @Sendable (String) -> Void
    ) async throws {
        let plane = services.controlPlane
        let logger = Logger(label: "bench")
        let archiving = try JSONDecoder().decode(UpdateInstanceBody.self, from: Data(#"{"backup_policy":{"enabled":false,"pitr_enabled":true}}"#.utf8))
        if let enable = try await plane.updateInstance(principal, project: project, id: instanceId, archiving).1 { _ = try await wait(enable) }
        let (_, backupOp) = try await plane.createBackup(principal, project: project, instanceId: instanceId, kind: "full")
        _ = try await wait(backupOp)
        func scalar(_ sql: String) async throws -> String {
            try await PostgresSession.with(target, timeout: .seconds(600), logger: logger) { connection in
                for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
                    return value
                }
                return ""
            }
        }
        let start = try await scalar("SELECT pg_current_wal_lsn()::text")
        say("writing ~\(walMB) MB of WAL after the backup …")
        let written = ContinuousClock.now
        // Batches of ~16 MB of rows, so the archiver works while the load runs, as it would in production.
        for _ in 0..<max(1, walMB / 16) {
            _ = try await scalar(
                "WITH w AS (INSERT INTO filler SELECT g, md5(random()::text) || md5(random()::text) FROM generate_series(1, 120000) g RETURNING 1) SELECT count(*)::text FROM w")
        }
        let writeTime = ContinuousClock.now - written
        let wal = try await scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '\(start)')::bigint::text")
        let walBytes = Double(Int64(wal) ?? 0)
        try await Task.sleep(for: .milliseconds(1100))
        let moment = Date()
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await scalar("WITH w AS (INSERT INTO filler VALUES (-1, 'after the moment') RETURNING 1) SELECT count(*)::text FROM w")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let (_, restoreOp) = try await plane.restoreInstance(
            principal, project: project, id: instanceId, backupId: nil, pointInTime: formatter.string(from: moment))
        let restoreTime = try await wait(restoreOp).1
        say(String(format: "WAL written after the backup: %.0f MB in %@ s", walBytes / 1_048_576, seconds(writeTime)))
        say(String(format: "point-in-time restore (base backup + %.0f MB of WAL): %@ s, replay ≥ %.1f MB/s of WAL", walBytes / 1_048_576,
            seconds(restoreTime), walBytes / 1_048_576 / max(0.001, restoreTime.seconds)))
    }
}
