import Foundation

/// Computes weekly, monthly and quarterly aggregates in SQL: avg/max/min and the sample count per period. What
/// depends on neighbours (the previous period, the first and last sample) is looked up for the rows a reader asks
/// for (see `CapacityQuery`), so a rebuild is one pass per period type (its SQL, and why it is shaped so, in
/// `AggregationStore`).
public struct CapacityAggregator: Sendable {
    let store: Store
    let clock: WallClock

    public enum Scope: String, Sendable, CaseIterable {
        case instance, database, all
    }

    /// Re-aggregates the periods of `type` that contain `from` or come later (all periods when `from` is nil).
    /// Daily figures need no aggregation: they are the samples.
    @discardableResult
    public func aggregate(_ type: PeriodType, from: String? = nil, scope: Scope = .all) async throws -> (databases: Int, instances: Int) {
        guard type != .daily else { return (0, 0) }
        let keep = from.map { PeriodMath.start(of: $0, type) } ?? "0000-01-01"
        let now = clock.millis()
        let backend = store.backend
        return try await store.write { db in
            var databases = 0
            var instances = 0
            if scope != .instance {
                databases = try await AggregationStore.rebuild(.databases, type, from: keep, now: now, backend: backend, on: db)
            }
            if scope != .database {
                instances = try await AggregationStore.rebuild(.instances, type, from: keep, now: now, backend: backend, on: db)
            }
            return (databases, instances)
        }
    }

    /// The earliest sample day collected since the last aggregation ("" when nothing was ever aggregated, nil
    /// when nothing is new): where the next run has to start.
    public func earliestChangedDay() async throws -> String? {
        try await store.read { db in try await AggregationStore.earliestChangedDay(on: db) }
    }

    /// Re-aggregates every period type (what the daily 04:00 run and a full rebuild do).
    public func aggregateAll(from: String? = nil, scope: Scope = .all) async throws -> (databases: Int, instances: Int) {
        var total = (databases: 0, instances: 0)
        for type in PeriodType.allCases where type != .daily {
            let counts = try await aggregate(type, from: from, scope: scope)
            total.databases += counts.databases
            total.instances += counts.instances
        }
        return total
    }
}
