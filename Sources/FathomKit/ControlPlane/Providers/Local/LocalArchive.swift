import Foundation
import Logging
import PostgresNIO
import Synchronization

/// WAL archiving for local instances with `pitr_enabled`: each completed WAL file is gzip-compressed into
/// `<instance>/wal-archive`, verified by decompressing it against the original, and linked into place so that an
/// archived file is never replaced; the same content again is success (a retry), different content fails loudly
/// (PostgreSQL then keeps the file and retries, and the server log says why). The archive belongs to the
/// instance, not to a node, so after a failover the new primary archives into it too (timeline history included).
extension LocalProvider {
    func archiveDirectory(_ id: String) -> String { "\(instanceDirectory(id))/wal-archive" }
    func archiveScript(_ id: String) -> String { "\(instanceDirectory(id))/archive-wal.sh" }
    func restoreScript(_ id: String) -> String { "\(instanceDirectory(id))/fetch-wal.sh" }
    /// Recovery settings of a point-in-time restore, included by `postgresql.conf` while they exist.
    static let recoveryConfigName = "fathom-recovery.conf"

    /// The server settings that archive WAL (nil when the instance does not archive).
    func archiveSettings(_ instance: Instance) -> [(String, String)]? {
        guard instance.backupPolicy?.pitr_enabled == true else { return nil }
        return [
            ("archive_mode", "on"),
            ("archive_command", "'\(archiveScript(instance.id)) %p %f'"),
            // A quiet server still closes a WAL file a minute after writing, so the archive lags by at most that.
            ("archive_timeout", "'60s'"),
        ]
    }

    /// Creates the archive directory and the two scripts PostgreSQL runs (idempotent).
    func prepareArchive(_ instance: Instance) async throws {
        guard instance.backupPolicy?.pitr_enabled == true else { return }
        let directory = archiveDirectory(instance.id)
        try await tools.makePrivateDirectory(directory)
        try await tools.write(Self.archiveScriptText(directory: directory), to: archiveScript(instance.id), mode: 0o700)
        try await tools.write(Self.restoreScriptText(directory: directory), to: restoreScript(instance.id), mode: 0o700)
    }

    static func archiveScriptText(directory: String) -> String {
        """
        #!/bin/sh
        # Written by Fathom: archives one WAL file (%p %f), compressed and verified, never replacing an archived file.
        set -u
        PATH=/usr/bin:/bin
        src="$1"; name="$2"; dir='\(directory)'
        dest="$dir/$name.gz"; tmp="$dir/.$name.gz.tmp"
        same() { gzip -dc "$dest" 2>/dev/null | cmp -s - "$src"; }
        if [ -e "$dest" ]; then
          same && exit 0
          echo "fathom archive: $dest exists with different content; not overwriting it" >&2; exit 1
        fi
        gzip -1 -c "$src" > "$tmp" || { rm -f "$tmp"; echo "fathom archive: compressing $name failed" >&2; exit 1; }
        if ! gzip -dc "$tmp" | cmp -s - "$src"; then rm -f "$tmp"; echo "fathom archive: $name did not verify" >&2; exit 1; fi
        sync "$tmp"
        # A hard link never replaces an existing file: a concurrent archiver of the same name cannot be overwritten.
        if ! ln "$tmp" "$dest" 2>/dev/null; then
          rm -f "$tmp"
          same && exit 0
          echo "fathom archive: $dest appeared with different content; not overwriting it" >&2; exit 1
        fi
        rm -f "$tmp"
        sync "$dir"
        exit 0

        """
    }

    static func restoreScriptText(directory: String) -> String {
        """
        #!/bin/sh
        # Written by Fathom: restores one archived WAL file (%f %p) for recovery.
        set -u
        PATH=/usr/bin:/bin
        name="$1"; dest="$2"; src='\(directory)'/"$name.gz"
        # Recovery asks for files that were never archived (the end of the WAL, newer timelines): not an error.
        [ -f "$src" ] || exit 1
        if ! gzip -dc "$src" > "$dest.fathom-tmp"; then
          rm -f "$dest.fathom-tmp"
          echo "fathom restore: archived WAL file $name is damaged" >&2; exit 1
        fi
        mv "$dest.fathom-tmp" "$dest"

        """
    }

    /// Recovery settings that replay the archive up to `target` (or only to the backup's end when nil), then promote.
    /// A target follows the latest timeline (across failovers and earlier restores); a backup's own instant stays on
    /// its timeline (it may even come from another instance).
    func recoverySettings(_ instance: Instance, backup: Backup, target: Date?) -> String {
        // WAL comes from the archive of the instance the backup was taken of (another one when restoring into a
        // new instance), while that archive exists.
        let script = FileManager.default.fileExists(atPath: restoreScript(backup.instanceId))
            ? restoreScript(backup.instanceId) : restoreScript(instance.id)
        let stop: String
        if let target {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
            stop = "recovery_target_time = '\(formatter.string(from: target))+00'"
        } else {
            stop = "recovery_target = 'immediate'"
        }
        return """
            # Written by Fathom for one restore; removed once the server is promoted.
            restore_command = '\(script) %f %p'
            \(stop)
            recovery_target_action = 'promote'
            recovery_target_timeline = '\(target == nil ? "current" : "latest")'

            """
    }

    // MARK: Facts for the control plane

    struct ArchiveStartFile: Codable {
        var recoverable_from: Int64
        var wal_start: String
    }

    public func archiveStart(of backup: Backup) -> ArchiveStart? {
        let path = "\(backupDirectory(backup.id))/archive-start.json"
        guard let data = FileManager.default.contents(atPath: path),
            let file = try? JSONDecoder().decode(ArchiveStartFile.self, from: data)
        else { return nil }
        return ArchiveStart(recoverableFrom: file.recoverable_from, walStart: file.wal_start)
    }

    public func archiveNewest(_ instance: Instance) -> Int64? {
        let directory = archiveDirectory(instance.id)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let dates = entries.filter { $0.hasSuffix(".gz") && !$0.hasPrefix(".") }.compactMap {
            (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\($0)"))?[.modificationDate] as? Date
        }
        return dates.max().map(Millis.from)
    }

    /// Bytes held by the instance's WAL archive (0 without one).
    public func archiveBytes(_ instance: Instance) -> Int64 {
        let directory = archiveDirectory(instance.id)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.reduce(Int64(0)) { total, entry in
            total + ((try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(entry)"))?[.size] as? NSNumber ?? 0).int64Value
        }
    }

    /// pg_archivecleanup drops every segment older than `walStart` (history files stay).
    public func pruneArchive(_ instance: Instance, keepingFrom walStart: String?) async throws {
        guard let walStart, FileManager.default.fileExists(atPath: archiveDirectory(instance.id)) else { return }
        try await tools.run("pg_archivecleanup", version: instance.version, ["-x", ".gz", archiveDirectory(instance.id), walStart])
    }

    // MARK: Used by backups and restores

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
}
