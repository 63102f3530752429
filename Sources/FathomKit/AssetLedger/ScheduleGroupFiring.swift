import Foundation

/// Fires schedule groups: each enabled group once per local date at `runAtHhmm` in its own time zone. A group whose
/// time passed while Fathom was down fires once when Fathom comes back the same local day (a missed day is not
/// replayed the next day). The once-per-day guarantee is the store's conditional update of `last_triggered_on`, so
/// replicas and restarts never fire a day twice.
struct ScheduleGroupFiring: Sendable {
    let groups: ScheduleGroupStore
    let sources: SourceStore
    let runs: RunService
    let clock: WallClock

    /// One pass over every enabled group; returns what fired.
    func fireDue() async throws -> [RunService.GroupTrigger] {
        let now = Millis.date(clock.millis())
        var fired: [RunService.GroupTrigger] = []
        for group in try await groups.enabled() {
            guard let zone = TimeZone(identifier: group.timezone), let time = Cadence.parseTime(group.runAtHhmm),
                let slot = ScheduleSlots.latestDue(
                    .daily(hour: time.hour, minute: time.minute), timezone: zone, anchor: Millis.date(group.anchorAt), now: now)
            else { continue }
            let today = Self.localDate(now, zone)
            guard Self.localDate(slot, zone) == today, group.lastTriggeredOn != today else { continue }
            guard try await groups.claimDay(group.groupId, localDate: today, now: clock.millis()) else { continue }
            fired.append(try await triggerSources(of: group, triggerType: "schedule"))
        }
        return fired
    }

    /// `POST /schedule-groups/{group_id}/runs`: every source of the group now (does not count as the day's firing).
    func triggerNow(_ groupId: String) async throws -> RunService.GroupTrigger {
        guard let group = try await groups.get(groupId) else { throw AppError(.configScheduleGroupNotFound) }
        return try await triggerSources(of: group, triggerType: "manual")
    }

    private func triggerSources(of group: ScheduleGroup, triggerType: String) async throws -> RunService.GroupTrigger {
        try await runs.triggerGroup(group.groupId, triggerType: triggerType, sourcesOfGroup: try await sources.inGroup(group.groupId))
    }

    static func localDate(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
