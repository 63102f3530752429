import Foundation

extension ControlPlane {
    /// The recoverable window of an instance that archives WAL and has a base backup taken since; nil otherwise.
    /// `presentReachable`: a restore of the instance itself archives its current WAL first, so while it runs the
    /// window reaches the present; anything else reaches what the archive holds.
    func recoverableWindow(_ instance: Instance, presentReachable: Bool = true) async throws -> RecoverableWindow? {
        guard instance.backupPolicy?.pitr_enabled == true, let provider = providers.provider(instance.provider) else { return nil }
        let backups = try await store.read { db in try await BackupPolicyStore.recoverableBackups(instanceId: instance.id, on: db) }
        guard let earliest = backups.first?.recoverableFrom else { return nil }
        // A running instance archives its current WAL when a restore starts, so the present is reachable.
        let latest = presentReachable && instance.state == .RUNNING ? clock.millis() : (provider.archiveNewest(instance) ?? earliest)
        guard latest >= earliest else { return nil }
        return RecoverableWindow(earliestMillis: earliest, latestMillis: latest)
    }

    /// Parses `point_in_time` (RFC 3339, fractional seconds allowed).
    static func parsePointInTime(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        throw AppError.invalid(field: "point_in_time", issue: "invalid", "point_in_time must be an RFC 3339 timestamp such as 2026-01-27T12:00:00Z")
    }

    /// The base backup a point-in-time restore to `target` starts from: the given one if it can, else the latest
    /// taken before the target. A target outside the window is 422 naming the window.
    func pointInTimeBase(_ instance: Instance, target: Date, backupId: String?, presentReachable: Bool = true) async throws -> Backup {
        try requireAction(.pitr, instance)
        guard instance.backupPolicy?.pitr_enabled == true else {
            throw AppError(.unprocessable, "Instance \(instance.id) does not archive WAL; enable backup_policy.pitr_enabled first",
                details: [["field": "point_in_time", "issue": "not_archiving"]])
        }
        let millis = Millis.from(target)
        guard let window = try await recoverableWindow(instance, presentReachable: presentReachable) else {
            throw AppError(.unprocessable, "Instance \(instance.id) has no recoverable window yet: take a backup while WAL is archived",
                details: [["field": "point_in_time", "issue": "no_window"]])
        }
        guard window.contains(millis) else {
            throw AppError(
                .unprocessable,
                "point_in_time \(Timestamp.iso8601(target)) is outside the recoverable window \(window.earliest) – \(window.latest)",
                details: [["field": "point_in_time", "issue": "outside_window", "earliest": .string(window.earliest), "latest": .string(window.latest)]])
        }
        let candidates = try await store.read { db in try await BackupPolicyStore.recoverableBackups(instanceId: instance.id, on: db) }
            .filter { ($0.recoverableFrom ?? .max) <= millis }
        if let backupId {
            guard let chosen = candidates.first(where: { $0.id == backupId }) else {
                throw AppError(.unprocessable, "Backup \(backupId) cannot reach \(Timestamp.iso8601(target)): it is not a base backup of this instance taken before that moment with WAL archived",
                    details: [["field": "backup_id", "issue": "not_before_point_in_time"]])
            }
            return chosen
        }
        guard let latest = candidates.last else {
            throw AppError(.unprocessable, "No base backup of instance \(instance.id) precedes \(Timestamp.iso8601(target))")
        }
        return latest
    }
}
