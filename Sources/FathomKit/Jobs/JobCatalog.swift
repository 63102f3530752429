import Foundation

/// The maintenance job kinds (session and job pruning) and their schedules.
public enum JobCatalog {
    public static let purgeExpired = "maintenance.purge_expired"
    public static let pruneJobs = "maintenance.prune_jobs"

    /// Finished jobs are kept this long for `/api/v1/task-runs`.
    static let jobRetentionMillis: Int64 = 30 * 86_400_000

    static func kinds(identity: Identity, jobs: JobQueue) -> [JobKind] {
        [
            JobKind(purgeExpired, timeout: .seconds(120)) { _ in
                try await identity.purgeExpired()
                return nil
            },
            JobKind(pruneJobs, timeout: .seconds(600)) { _ in
                let deleted = try await jobs.prune(olderThan: jobRetentionMillis)
                return ["deleted": .int(Int64(deleted))]
            },
        ]
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [
            ScheduleDefinition(
                name: "purge-expired-sessions", kind: purgeExpired, cadence: .interval(minutes: 5), timezone: timezone),
            ScheduleDefinition(
                name: "prune-finished-jobs", kind: pruneJobs, cadence: .daily(hour: 2, minute: 30), timezone: timezone),
        ]
    }
}
