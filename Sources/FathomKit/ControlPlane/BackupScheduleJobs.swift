import Foundation

/// The jobs behind backup policies: a sweep that starts each instance's due scheduled backup, and the daily
/// retention run that deletes expired backups and prunes WAL archives.
enum BackupScheduleJobs {
    static let sweep = "dbaas.backup_schedules"
    static let retention = "dbaas.backup_retention"

    /// The sweep runs every few minutes, so a scheduled backup starts at most that late; retention runs daily.
    static let schedules = [
        ScheduleDefinition(name: "dbaas-backup-schedules", kind: sweep, cadence: .interval(minutes: 5), timezone: "UTC"),
        ScheduleDefinition(name: "dbaas-backup-retention", kind: retention, cadence: .daily(hour: 0, minute: 30), timezone: "UTC"),
    ]

    static func kinds(plane: ControlPlane) -> [JobKind] {
        [
            JobKind(sweep, timeout: .seconds(300)) { context in
                let started = try await plane.startDueBackups(logger: context.logger)
                return ["started": .array(started.map { .string($0) })]
            },
            JobKind(retention, timeout: .seconds(600)) { context in
                let result = try await plane.applyRetention(logger: context.logger)
                return ["deleting": .array(result.deleting.map { .string($0) }), "kept_in_use": .array(result.keptInUse.map { .string($0) })]
            },
        ]
    }
}
