import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The server-side steps of backups and point-in-time restores that use the WAL archive: where a base backup
/// starts in it, flushing the current WAL into it before a restore, and waiting for a replay to promote.
extension LocalProvider {
    /// The first WAL file a plain base backup needs, from its backup_label ("START WAL LOCATION: … (file X)").
    func backupStartWALFile(plainBackup directory: String) throws -> String {
        let label = try String(contentsOfFile: "\(directory)/backup_label", encoding: .utf8)
        guard let line = label.split(separator: "\n").first(where: { $0.hasPrefix("START WAL LOCATION:") }),
            let open = line.range(of: "(file "), let close = line.range(of: ")", range: open.upperBound..<line.endIndex)
        else { throw AppError(.jobFailed, "The base backup's backup_label names no start WAL file") }
        return String(line[open.upperBound..<close.lowerBound])
    }

    /// Records, beside a finished backup, the first moment the archive can replay it to (the server's clock after
    /// the backup ended) and the first WAL file it needs.
    func recordArchiveStart(_ context: ProviderContext, backupDirectory directory: String, walStart: String) async throws {
        guard let now = Int64(try await scalar(context, "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint::text")) else {
            throw AppError(.jobFailed, "The server did not report its time")
        }
        let data = try JSONEncoder().encode(ArchiveStartFile(recoverable_from: now, wal_start: walStart))
        try data.write(to: URL(fileURLWithPath: "\(directory)/archive-start.json"))
    }

    /// Makes everything written so far reach the archive before a point-in-time restore stops the server: one
    /// committed transaction (so the replay has a commit after any target in the past to stop at), a WAL switch,
    /// then waits until the switched file is archived. Fails, changing nothing, when archiving is failing.
    func archiveCurrentWAL(_ context: ProviderContext, timeout: Duration = .seconds(60)) async throws {
        _ = try await scalar(context, "SELECT txid_current()::text")
        let file = try await scalar(context, "SELECT pg_walfile_name(pg_switch_wal())")
        let archived = "\(archiveDirectory(context.instance.id))/\(file).gz"
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: archived) {
            guard ContinuousClock.now < deadline else {
                let failed = (try? await scalar(context, "SELECT coalesce(last_failed_wal, '') FROM pg_stat_archiver")) ?? ""
                throw AppError(.jobFailed, "WAL archiving is not keeping up (\(file) not archived after \(timeout); last failure: \(failed.isEmpty ? "none" : failed)); nothing was changed")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until a node replaying to a target has promoted; a server that stops on the way fails with the
    /// reason from its log.
    func waitForPromotion(_ instance: Instance, node: String, timeout: Duration = .seconds(600)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard await isRunning(node, version: instance.version) else {
                throw AppError(.jobFailed, "Point-in-time recovery failed: \(recoveryLog(node))")
            }
            let inRecovery = try? await socketScalar(instance, "SELECT pg_is_in_recovery()::text")
            if inRecovery == "false" { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw AppError(.jobFailed, "Point-in-time recovery did not finish within \(timeout): \(recoveryLog(node))")
    }

    /// The server log's lines that explain a failed recovery.
    func recoveryLog(_ node: String) -> String {
        let text = (try? String(contentsOfFile: "\(node).log", encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(40).filter {
            $0.contains("FATAL") || $0.contains("fathom restore:") || $0.contains("PANIC")
        }
        return lines.isEmpty ? "the server stopped during recovery" : lines.suffix(4).joined(separator: " | ")
    }

    /// One text value from the primary, as the superuser over TCP.
    func scalar(_ context: ProviderContext, _ sql: String) async throws -> String {
        let found = Mutex<String?>(nil)
        try await withSuperuser(context) { connection, logger in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await value in rows.decode(String.self) { found.withLock { $0 = $0 ?? value } }
        }
        guard let value = found.withLock({ $0 }) else { throw AppError(.jobFailed, "No result from the server for \(sql)") }
        return value
    }

    /// One text value over the instance's private socket (works while the superuser password is not yet repaired).
    func socketScalar(_ instance: Instance, _ sql: String) async throws -> String? {
        let found = Mutex<String?>(nil)
        try await withSuperuserSocket(instance) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "fathom.local"))
            for try await value in rows.decode(String.self) { found.withLock { $0 = $0 ?? value } }
        }
        return found.withLock { $0 }
    }

    public func archiveHealth(_ instance: Instance) async -> ArchiveHealth? {
        guard instance.backupPolicy?.pitr_enabled == true, instance.state == .RUNNING else { return nil }
        let sql = """
            SELECT archived_count::text || '|' || coalesce(last_archived_wal, '') || '|' ||
                   coalesce(to_char(last_archived_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') || '|' ||
                   failed_count::text || '|' || coalesce(last_failed_wal, '') || '|' ||
                   coalesce(to_char(last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
            FROM pg_stat_archiver
            """
        guard let row = try? await socketScalar(instance, sql) else { return nil }
        let parts = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6 else { return nil }
        func text(_ value: String) -> String? { value.isEmpty ? nil : value }
        return ArchiveHealth(
            archived_count: Int64(parts[0]) ?? 0, last_archived_wal: text(parts[1]), last_archived_at: text(parts[2]),
            failed_count: Int64(parts[3]) ?? 0, last_failed_wal: text(parts[4]), last_failed_at: text(parts[5]))
    }
}
