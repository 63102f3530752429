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
    func fetchScript(_ id: String) -> String { "\(instanceDirectory(id))/fetch-wal.sh" }
    /// Recovery settings of a point-in-time restore, included by `postgresql.conf` while they exist.
    static let recoveryConfigName = "fathom-recovery.conf"

    /// The server settings that archive WAL (nil when the instance does not archive).
    func archiveSettings(_ instance: Instance) -> [(String, String)]? {
        guard instance.backupPolicy?.pitr_enabled == true else { return nil }
        return [
            ("archive_mode", "on"),
            // The script's path double-quoted for the shell PostgreSQL runs it with (a data directory may hold spaces).
            ("archive_command", "'\"\(archiveScript(instance.id))\" %p %f'"),
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
        try await tools.write(Self.fetchScriptText(directory: directory), to: fetchScript(instance.id), mode: 0o700)
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

    static func fetchScriptText(directory: String) -> String {
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
        let script = FileManager.default.fileExists(atPath: fetchScript(backup.instanceId))
            ? fetchScript(backup.instanceId) : fetchScript(instance.id)
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
            restore_command = '"\(script)" %f %p'
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
}
