import Foundation

/// When a schedule fires: daily at a local time, or every N minutes.
public enum Cadence: Sendable, Equatable {
    case daily(hour: Int, minute: Int)
    case interval(minutes: Int)

    var typeName: String {
        switch self {
        case .daily: return "daily"
        case .interval: return "interval"
        }
    }

    /// "HH:MM" for daily cadences.
    var timeOfDay: String? {
        if case .daily(let hour, let minute) = self { return String(format: "%02d:%02d", hour, minute) }
        return nil
    }

    var intervalMinutes: Int? {
        if case .interval(let minutes) = self { return minutes }
        return nil
    }

    /// Parses "HH:MM" (00:00–23:59).
    static func parseTime(_ text: String) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return (hour, minute)
    }
}

/// A named schedule that enqueues a job of `kind` at each slot: its definition (name, kind, payload, cadence,
/// zone, enablement — readable directly, `schedule.cadence`) and where it stands.
@dynamicMemberLookup
public struct Schedule: Sendable, Equatable {
    public var definition: ScheduleDefinition
    /// Slots at or before this instant never fire (set at creation and whenever the timing changes).
    public var anchorAt: Int64
    public var lastSlotAt: Int64?
    public var lastJobId: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<ScheduleDefinition, T>) -> T {
        get { definition[keyPath: keyPath] }
        set { definition[keyPath: keyPath] = newValue }
    }
}

/// Slot arithmetic. Daily slots are computed in the schedule's IANA time zone: a local time that does not exist
/// (spring forward) fires at the next existing time; one that occurs twice (fall back) fires at the first.
public enum ScheduleSlots {
    /// The most recent slot in (anchor, now], if any: what a scheduler coming back from downtime fires once.
    public static func latestDue(_ cadence: Cadence, timezone: TimeZone, anchor: Date, now: Date) -> Date? {
        guard now > anchor else { return nil }
        let slot: Date?
        switch cadence {
        case .interval(let minutes):
            let step = Double(minutes * 60)
            let steps = floor(now.timeIntervalSince(anchor) / step)
            slot = steps >= 1 ? anchor.addingTimeInterval(steps * step) : nil
        case .daily(let hour, let minute):
            let calendar = calendar(timezone)
            let today = calendar.startOfDay(for: now)
            var candidate = dailySlot(on: today, hour: hour, minute: minute, calendar: calendar)
            if let found = candidate, found > now, let yesterday = calendar.date(byAdding: .day, value: -1, to: today) {
                candidate = dailySlot(on: yesterday, hour: hour, minute: minute, calendar: calendar)
            }
            slot = candidate
        }
        guard let slot, slot > anchor, slot <= now else { return nil }
        return slot
    }

    /// The first slot strictly after `date` (and after `anchor`).
    public static func next(_ cadence: Cadence, timezone: TimeZone, anchor: Date, after date: Date) -> Date? {
        let from = max(date, anchor)
        switch cadence {
        case .interval(let minutes):
            let step = Double(minutes * 60)
            let steps = floor(from.timeIntervalSince(anchor) / step) + 1
            return anchor.addingTimeInterval(steps * step)
        case .daily(let hour, let minute):
            let calendar = calendar(timezone)
            var day = calendar.startOfDay(for: from)
            for _ in 0..<3 {
                if let slot = dailySlot(on: day, hour: hour, minute: minute, calendar: calendar), slot > from {
                    return slot
                }
                guard let nextDay = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
                day = nextDay
            }
            return nil
        }
    }

    static func dailySlot(on dayStart: Date, hour: Int, minute: Int, calendar: Calendar) -> Date? {
        calendar.nextDate(
            after: dayStart.addingTimeInterval(-1), matching: DateComponents(hour: hour, minute: minute, second: 0),
            matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
    }

    static func calendar(_ timezone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        return calendar
    }
}
