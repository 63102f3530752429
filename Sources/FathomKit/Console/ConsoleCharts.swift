import Foundation
import Hummingbird
import HummingbirdCore

/// The figures behind the server-drawn charts, read through the same query the capacity routes answer with
/// (`GET /api/v1/capacity/instances|databases`), so a chart shows exactly what the API returns.
struct ConsoleCharts: Sendable {
    let store: Store
    let calendar: BusinessCalendar
    let clock: WallClock

    var today: String { calendar.day(clock.now()) }

    /// Total size of all instances per period, as `GET /api/v1/capacity/instances?period_type=…&start_date=…`.
    func fleetTrend(_ period: PeriodType, days: Int) async throws -> [SVGChart.Point] {
        let rows = try await rows(.instance, "period_type=\(period.rawValue)&start_date=\(daysAgo(days))")
        var totals: [String: Double] = [:]
        for row in rows { totals[row.periodStart, default: 0] += Double(row.avg) }
        return totals.keys.sorted().map { SVGChart.Point(label: $0, value: totals[$0]!) }
    }

    /// One database's daily size, as `GET /api/v1/capacity/databases?database_id=…`.
    func databaseHistory(_ databaseId: Int64, days: Int) async throws -> [SVGChart.Point] {
        try await rows(.database, "database_id=\(databaseId)&start_date=\(daysAgo(days))")
            .sorted { $0.periodStart < $1.periodStart }
            .map { SVGChart.Point(label: $0.periodStart, value: Double($0.avg)) }
    }

    /// The databases that grew most over the last `days` days (first to last daily sample), largest first.
    func topGrowing(days: Int, count: Int) async throws -> [SVGChart.Point] {
        struct Span { var name: String; var firstDay: String; var first: Int64; var lastDay: String; var last: Int64 }
        var spans: [Int64: Span] = [:]
        for row in try await rows(.database, "start_date=\(daysAgo(days))") {
            var span = spans[row.subjectId]
                ?? Span(name: "\(row.instanceName)/\(row.subjectName)", firstDay: row.periodStart, first: row.avg,
                    lastDay: row.periodStart, last: row.avg)
            if row.periodStart < span.firstDay { (span.firstDay, span.first) = (row.periodStart, row.avg) }
            if row.periodStart > span.lastDay { (span.lastDay, span.last) = (row.periodStart, row.avg) }
            spans[row.subjectId] = span
        }
        return spans.values.map { SVGChart.Point(label: $0.name, value: Double($0.last - $0.first)) }
            .filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(count).map { $0 }
    }

    private func rows(_ subject: CapacityQuery.Subject, _ query: String) async throws -> [CapacityRow] {
        let capacity = try CapacityQuery(subject, query: QueryParameters(uri: URI("/?" + query)), today: today)
        return try await store.read { db in try await capacity.page(offset: 0, limit: 100_000, on: db) }.rows
    }

    private func daysAgo(_ days: Int) -> String {
        PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: -days, to: PeriodMath.date(today))!)
    }
}
