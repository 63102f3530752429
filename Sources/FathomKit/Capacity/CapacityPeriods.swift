import SQLKit

/// The calendar of weekly/monthly/quarterly periods the aggregator walks (a few hundred rows for years of history),
/// filled on demand for the days that have samples.
enum CapacityPeriods {
    /// Adds the `type` periods from the one containing `first` through the one containing `last` that are missing.
    static func ensure(_ type: PeriodType, from first: String, through last: String, on db: any SQLDatabase) async throws {
        var periods: [(start: String, end: String)] = []
        var start = PeriodMath.start(of: first, type)
        while start <= last {
            let next = PeriodMath.nextStart(start, type)
            periods.append((start, PeriodMath.dayBefore(next)))
            start = next
        }
        for chunk in stride(from: 0, to: periods.count, by: 300) {
            let rows = periods[chunk..<min(periods.count, chunk + 300)].map { period -> SQLQueryString in
                "(\(bind: type.rawValue), \(bind: period.start), \(bind: period.end))"
            }
            try await db.raw(
                """
                INSERT INTO capacity_periods (period_type, period_start, period_end) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (period_type, period_start) DO NOTHING
                """
            ).run()
        }
    }
}
