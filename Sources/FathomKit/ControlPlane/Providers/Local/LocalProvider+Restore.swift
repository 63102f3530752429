import Foundation
import Logging
import PostgresNIO

/// The instance cannot run on either copy of its data; both are kept on disk and the message says where.
public struct InstanceDown: Error, Sendable {
    public let message: String

    /// An error's message for an operator (an AppError's own message, not its debug form).
    static func reason(_ error: any Error) -> String { (error as? AppError)?.message ?? "\(error)" }
}

extension LocalProvider {
    /// The scratch directories of one restore, named by its operation, so a retry never touches another's copies.
    struct RestorePaths {
        let node: String
        /// The backup unpacked beside the data before anything is moved.
        let incoming: String
        /// The instance's previous data while the restored copy is tried.
        let aside: String
        /// A restored copy that would not start, kept for inspection.
        let failed: String

        init(node: String, operationId: String) {
            self.node = node
            incoming = "\(node).restore-\(operationId)"
            aside = "\(node).before-restore-\(operationId)"
            failed = "\(node).failed-restore-\(operationId)"
        }
    }

    /// Restores in steps that a resumed run can pick up from whatever it finds on disk (each step recorded):
    /// stop → unpack beside the data → move the data aside → move the unpacked copy in → start → drop the old
    /// copy → rebuild standbys. Until the restored copy has started, the old one is kept; if the restored copy will
    /// not start, the old one is put back and started. Nothing here deletes the only copy of anything.
    public func restore(_ context: ProviderContext, from backup: Backup) async throws {
        try await restore(context, from: backup, until: nil)
    }

    /// The same steps for a point-in-time restore: the current WAL is archived first (while the server still
    /// runs), the unpacked copy gets recovery settings that replay the archive to `target` and promote, and the
    /// restored copy counts as started only once it has promoted. A replay that cannot reach the target (a
    /// damaged or missing WAL file) stops the copy, and the previous data is put back as for any restore.
    public func restore(_ context: ProviderContext, from backup: Backup, until target: Date?) async throws {
        if backup.kind == "logical" {
            // Only into a new, empty instance (the control plane sees to that): nothing to set aside.
            guard target == nil else { throw AppError(.unprocessable, "A logical backup restores as it was taken, not to a moment") }
            return try await restoreLogical(context, from: backup)
        }
        let instance = context.instance
        // An archiving instance always replays through recovery, even to a backup's own instant, so that the restored
        // server continues on a new timeline and never writes WAL file names its archive already holds.
        let recovering = target != nil || instance.backupPolicy?.pitr_enabled == true
        let (_, password) = try Self.superuser(context)
        let primaryEndpoint = try primary(instance)
        let fm = FileManager.default
        let paths = RestorePaths(node: nodeDirectory(instance.id, port: primaryEndpoint.port), operationId: context.operationId)
        let node = paths.node
        // Once the restored copy has started and the old one is gone, only the standbys are left to do.
        let restoredEarlier = !fm.fileExists(atPath: paths.aside) && context.completedSteps.contains("restore.after-start")
        if !restoredEarlier {
            let unpacked = fm.fileExists(atPath: paths.aside)
            if !unpacked {
                guard let archive = backup.location, fm.fileExists(atPath: archive) else {
                    try await resumeOldData(instance, node: node)
                    throw AppError(.conflict, "Backup \(backup.id) has no files")
                }
                // Only the instance's own archive is flushed: a restore into a new instance leaves the source alone.
                if target != nil, backup.instanceId == instance.id, await isRunning(node, version: instance.version) {
                    await context.progress(5, "archiving the current WAL")
                    try await archiveCurrentWAL(context)
                }
                await context.progress(10, "stopping")
                try await stopAll(instance, primary: node)
                try await context.step("restore.after-stop")
                await context.progress(30, "unpacking the backup")
                do {
                    // The scratch copy is only ever a copy of the archive: safe to start over.
                    try? fm.removeItem(atPath: paths.incoming)
                    try await tools.makePrivateDirectory(paths.incoming)
                    try await tools.command("/bin/tar", ["-xzf", archive, "-C", paths.incoming])
                    if recovering {
                        try await tools.write(recoverySettings(instance, backup: backup, target: target), to: "\(paths.incoming)/\(Self.recoveryConfigName)")
                        try await tools.write("", to: "\(paths.incoming)/recovery.signal")
                    }
                } catch {
                    try? fm.removeItem(atPath: paths.incoming)
                    try await resumeOldData(instance, node: node)
                    throw error
                }
                try await context.step("restore.after-unpack")
                try fm.moveItem(atPath: node, toPath: paths.aside)
                try await context.step("restore.after-move-aside")
            }
            if !fm.fileExists(atPath: node) {
                guard fm.fileExists(atPath: paths.incoming) else {
                    // Interrupted while putting the old data back: finish that.
                    try fm.moveItem(atPath: paths.aside, toPath: node)
                    try await resumeOldData(instance, node: node)
                    throw AppError(.jobFailed, "The restore was interrupted and rolled back; the instance runs on its previous data")
                }
                try fm.moveItem(atPath: paths.incoming, toPath: node)
                try await context.step("restore.after-swap")
            }
            await context.progress(60, "starting")
            do {
                try await startRestored(context, node: node, port: primaryEndpoint.port, password: password, recovering: recovering)
            } catch {
                context.logger.warning("the restored data does not start; putting the previous data back")
                try await putBack(instance, paths, reason: InstanceDown.reason(error))
                throw error
            }
            try await context.step("restore.after-start")
            try fm.removeItem(atPath: paths.aside)
            try await context.step("restore.after-cleanup")
        } else if await !isRunning(node, version: instance.version) {
            try await start(node, version: instance.version)
        }
        for endpoint in standbys(instance) {
            await context.progress(80, "rebuilding the standby")
            try await cloneStandby(instance, into: nodeDirectory(instance.id, port: endpoint.port), port: endpoint.port,
                fromPort: primaryEndpoint.port, password: password)
        }
    }

    private func stopAll(_ instance: Instance, primary node: String) async throws {
        for endpoint in standbys(instance) { try await stop(nodeDirectory(instance.id, port: endpoint.port), version: instance.version) }
        try await stop(node, version: instance.version)
    }

    /// Starts the restored copy (a backup may come from another instance: its superuser password becomes this
    /// instance's again). Idempotent, so a resumed run can call it again.
    private func startRestored(_ context: ProviderContext, node: String, port: Int, password: String, recovering: Bool) async throws {
        let instance = context.instance
        if await !isRunning(node, version: instance.version) {
            // A point-in-time restore keeps recovery.signal: it is what makes the server replay the archive.
            for leftover in ["standby.signal", "postmaster.pid"] + (recovering ? [] : ["recovery.signal"]) {
                try? FileManager.default.removeItem(atPath: "\(node)/\(leftover)")
            }
            try await configure(node, instance: instance, port: port)
            do {
                try await start(node, version: instance.version)
            } catch where recovering {
                throw AppError(.jobFailed, "Point-in-time recovery failed: \(recoveryLog(node))")
            }
        }
        if recovering {
            try await waitForPromotion(instance, node: node)
            // Promoted: the settings must not send a later restart into recovery again.
            try? FileManager.default.removeItem(atPath: "\(node)/\(Self.recoveryConfigName)")
        }
        try await withSuperuserSocket(instance) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE postgres PASSWORD \(Self.literal(password))"), logger: context.logger)
        }
    }

    /// The restored copy would not start: it is kept as `.failed-restore-<op>` and the previous data goes back.
    private func putBack(_ instance: Instance, _ paths: RestorePaths, reason: String) async throws {
        try? await stop(paths.node, version: instance.version)
        try FileManager.default.moveItem(atPath: paths.node, toPath: paths.failed)
        try FileManager.default.moveItem(atPath: paths.aside, toPath: paths.node)
        do {
            try await resumeOldData(instance, node: paths.node)
        } catch {
            throw InstanceDown(message:
                "Neither copy of the data starts: the restored copy (\(reason)) is kept at \(paths.failed), the previous data at \(paths.node) (\(InstanceDown.reason(error)))")
        }
    }

    /// Starts the instance's own data again (and its standbys) after a restore that did not go through.
    private func resumeOldData(_ instance: Instance, node: String) async throws {
        if await !isRunning(node, version: instance.version) { try await start(node, version: instance.version) }
        for endpoint in standbys(instance) {
            let standby = nodeDirectory(instance.id, port: endpoint.port)
            if await !isRunning(standby, version: instance.version) { try? await start(standby, version: instance.version) }
        }
    }
}
