import Foundation

/// Period arithmetic on `YYYY-MM-DD` days (weeks start on Monday): the one definition of a period, from which
/// `AggregationStore.ensurePeriods` fills the calendar table the aggregation walks.
enum PeriodMath {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2
        return calendar
    }

    static func date(_ day: String) -> Date {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        return utc.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) ?? Date(timeIntervalSince1970: 0)
    }

    static func text(_ date: Date) -> String {
        let parts = utc.dateComponents([.year, .month, .day], from: date)
        return TextFormat.day(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    static func start(of day: String, _ type: PeriodType) -> String {
        let date = date(day)
        let parts = utc.dateComponents([.year, .month, .weekday], from: date)
        switch type {
        case .daily: return day
        case .weekly: return text(utc.date(byAdding: .day, value: -((parts.weekday! + 5) % 7), to: date)!)
        case .monthly: return TextFormat.day(year: parts.year!, month: parts.month!, day: 1)
        case .quarterly: return TextFormat.day(year: parts.year!, month: (parts.month! - 1) / 3 * 3 + 1, day: 1)
        }
    }

    /// The first day of the period after the one starting on `start`.
    static func nextStart(_ start: String, _ type: PeriodType) -> String {
        let step: (Calendar.Component, Int) = {
            switch type {
            case .daily: return (.day, 1)
            case .weekly: return (.day, 7)
            case .monthly: return (.month, 1)
            case .quarterly: return (.month, 3)
            }
        }()
        return text(utc.date(byAdding: step.0, value: step.1, to: date(start))!)
    }

    static func dayBefore(_ day: String) -> String { text(utc.date(byAdding: .day, value: -1, to: date(day))!) }
}
