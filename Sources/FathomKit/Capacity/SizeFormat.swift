import Foundation

/// How sizes are shown: bytes stored, megabytes with two decimals, and a human label.
public enum SizeFormat {
    public static func megabytes(_ bytes: Int64) -> Double {
        (Double(bytes) / 1_048_576 * 100).rounded() / 100
    }

    public static func label(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : TextFormat.twoDecimals(value) + " " + units[unit]
    }
}

/// Local calendar days in the business time zone (`FATHOM_TIMEZONE`).
public struct BusinessCalendar: Sendable {
    public let timeZone: TimeZone

    public init(identifier: String) {
        timeZone = TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")!
    }

    /// "YYYY-MM-DD" of the local day containing `date`.
    public func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return TextFormat.day(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
    }

    /// Parses "YYYY-MM-DD" strictly (valid calendar dates only).
    public static func parseDay(_ text: String) -> String? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month
        else { return nil }
        return text
    }
}
