import Foundation
import SQLKit

/// The ledger's filters, its page query and the keyset batches the CSV export streams.
struct LedgerQuery {
    let services: AppServices
    let query: QueryParameters

    /// The ledger's conditions; malformed values are a 400 before anything is read.
    struct Filter {
        /// Conditions on the instance alone (state, engine, id, tags): an instance is in or out as a whole.
        var instance: SQLQueryString
        /// Every condition, for rows of instances `i` joined to databases `d`.
        var all: SQLQueryString
        /// No condition looks at a database's own fields beyond being active.
        var wholeInstances: Bool
    }

    func filter() throws -> Filter {
        var instance: [SQLQueryString] = ["i.state <> 'DELETED'"]
        if let type = query.string("db_type"), type.lowercased() != "all" { instance.append("i.engine = \(bind: type.lowercased())") }
        if let instanceId = try query.int("instance_id") { instance.append("i.instance_id = \(bind: instanceId)") }
        let tags = query.list("tags")
        if !tags.isEmpty {
            // Any of the tags: `key` matches a label key, `key:value` a label.
            let matches: [SQLQueryString] = tags.map { tag in
                let parts = tag.split(separator: ":", maxSplits: 1).map(String.init)
                return parts.count == 2 ? "(l.key = \(bind: parts[0]) AND l.value = \(bind: parts[1]))" : "l.key = \(bind: tag)"
            }
            instance.append("EXISTS (SELECT 1 FROM instance_labels l WHERE l.instance_id = i.instance_id AND (\(matches.joined(separator: " OR "))))")
        }
        var database: [SQLQueryString] = ["d.is_active = \(bind: true)"]
        if let search = query.string("search") {
            let pattern = "%" + search.lowercased() + "%"
            database.append("(LOWER(d.name) LIKE \(bind: pattern) OR LOWER(i.name) LIKE \(bind: pattern))")
        }
        return Filter(
            instance: instance.joined(separator: " AND "), all: (instance + database).joined(separator: " AND "),
            wholeInstances: database.count == 1)
    }

    /// The database's own columns; its instance's details are read once per instance (`items`).
    static let columns: SQLQueryString = """
        d.database_id, d.instance_id, d.name AS database_name, d.first_seen_date, d.last_seen_date, d.latest_size_bytes,
        d.latest_collected_at
        """

    func page(offset: Int, limit: Int) async throws -> ([LedgerItemView], Int) {
        let filter = try filter()
        let now = services.clock.millis()
        // Instances by name, then each one's active databases by name: both come ordered from indexes (the second
        // covering the filter), so skipping to a page reads no table row and sorts nothing. (SQLite's CROSS JOIN
        // keeps that join order.)
        let join: SQLQueryString = services.store.backend == .sqlite ? "CROSS JOIN" : "JOIN"
        return try await services.store.read { db in
            var total = 0
            var start: SQLQueryString = "1 = 1"
            var skip = offset
            if filter.wholeInstances {
                // Each instance keeps its count of active databases, so the total and the instance the page starts
                // in come from a running sum over instances, and only that instance's earlier databases are skipped.
                // The running sum walks the covering index `instances_ledger` and stops at the one instance whose
                // databases [before, before + here) hold position `offset`: no sort, however the rows come out.
                let first = try await db.raw(
                    """
                    SELECT w.name, w.instance_id, w.before,
                           (SELECT SUM(i.active_databases) FROM instances i WHERE \(filter.instance)) AS total
                    FROM (SELECT i.name, i.instance_id, i.active_databases AS here,
                                 SUM(i.active_databases) OVER (ORDER BY i.name, i.instance_id ROWS UNBOUNDED PRECEDING)
                                     - i.active_databases AS before
                          FROM instances i WHERE \(filter.instance)) w
                    WHERE w.before <= \(bind: offset) AND w.before + w.here > \(bind: offset) LIMIT 1
                    """
                ).first()
                guard let first else {
                    // Past the end: only the total is left to tell.
                    let total = try await db.raw(
                        "SELECT COALESCE(SUM(i.active_databases), 0) AS n FROM instances i WHERE \(filter.instance)"
                    ).first()?.int("n") ?? 0
                    return ([], total)
                }
                total = try first.int("total")
                skip = offset - (try first.int("before"))
                start = "(i.name, i.instance_id) >= (\(bind: try first.string("name")), \(bind: try first.int64("instance_id")))"
            } else {
                total = try await db.raw(
                    "SELECT COUNT(*) AS n FROM instances i \(join) instance_databases d ON d.instance_id = i.instance_id WHERE \(filter.all)"
                ).first()?.int("n") ?? 0
            }
            let rows = try await db.raw(
                """
                SELECT \(Self.columns) FROM instances i \(join) instance_databases d ON d.instance_id = i.instance_id
                WHERE \(filter.all) AND \(start) ORDER BY i.name, i.instance_id, d.name LIMIT \(bind: limit) OFFSET \(bind: skip)
                """
            ).all()
            return (try await Self.items(rows, now: now, on: db), total)
        }
    }

    /// The next `limit` rows after `afterId`, in database_id order (constant-memory export).
    func batch(filter: Filter, after afterId: Int64, limit: Int) async throws -> [LedgerItemView] {
        let now = services.clock.millis()
        return try await services.store.read { db in
            let rows = try await db.raw(
                """
                SELECT \(Self.columns) FROM instance_databases d JOIN instances i ON i.instance_id = d.instance_id
                WHERE \(filter.all) AND d.database_id > \(bind: afterId) ORDER BY d.database_id LIMIT \(bind: limit)
                """
            ).all()
            return try await Self.items(rows, now: now, on: db)
        }
    }

    /// An instance as each of its ledger rows shows it.
    struct InstanceDetails {
        var view: LedgerInstanceView
        var tags: [String]
    }

    /// The views of `rows`; each instance's details and labels are read and decoded once, not once per database.
    static func items(_ rows: [any SQLRow], now: Int64, on db: any SQLDatabase) async throws -> [LedgerItemView] {
        // Each column is decoded once (decoding is most of a large export's cost).
        let databases = try rows.map { row in
            (id: try row.int64("database_id"), instanceId: try row.int64("instance_id"), name: try row.string("database_name"),
             firstSeen: try row.string("first_seen_date"), lastSeen: try row.string("last_seen_date"),
             size: try row.optionalInt64("latest_size_bytes"), collected: try row.optionalInt64("latest_collected_at"))
        }
        let instances = try await details(Set(databases.map(\.instanceId)), on: db)
        // One collection stamps many databases with the same time: format each time once.
        var stamps: [Int64: String] = [:]
        return databases.compactMap { database -> LedgerItemView? in
            guard let instance = instances[database.instanceId] else { return nil }
            let size = database.size
            return LedgerItemView(
                database_id: database.id, database_name: database.name, instance: instance.view,
                is_active: true /* the ledger lists active databases only */, first_seen_date: database.firstSeen,
                last_seen_date: database.lastSeen,
                capacity: .init(
                    size_bytes: size, size_mb: size.map(SizeFormat.megabytes), label: size.map(SizeFormat.label) ?? "unknown",
                    collected_at: database.collected.map { millis in
                        if let stamp = stamps[millis] { return stamp }
                        let stamp = Timestamp.iso8601(millis: millis)
                        stamps[millis] = stamp
                        return stamp
                    }),
                freshness: database.collected.map { now - $0 <= 36 * 3_600_000 ? "fresh" : "stale" } ?? "never",
                tags: instance.tags)
        }
    }

    /// The instances' views and tags, read with their labels in one query.
    static func details(_ instanceIds: Set<Int64>, on db: any SQLDatabase) async throws -> [Int64: InstanceDetails] {
        guard !instanceIds.isEmpty else { return [:] }
        var found: [Int64: (key: String, name: String, engine: String, endpoints: String, labels: [String: String])] = [:]
        for row in try await db.raw(
            """
            SELECT i.instance_id, i.id, i.name, i.engine, i.endpoints, l.key, l.value
            FROM instances i LEFT JOIN instance_labels l ON l.instance_id = i.instance_id
            WHERE i.instance_id IN (\(binds: Array(instanceIds)))
            """
        ).all() {
            let id = try row.int64("instance_id")
            if found[id] == nil {
                found[id] = (try row.string("id"), try row.string("name"), try row.string("engine"), try row.string("endpoints"), [:])
            }
            if let key = try row.optionalString("key") { found[id]?.labels[key] = try row.string("value") }
        }
        var instances: [Int64: InstanceDetails] = [:]
        for (id, instance) in found {
            let endpoints = (try? JSONDecoder().decode([Endpoint].self, from: Data(instance.endpoints.utf8))) ?? []
            let primary = endpoints.first { $0.role == .primary } ?? endpoints.first
            instances[id] = InstanceDetails(
                view: LedgerInstanceView(
                    instance_id: id, id: instance.key, name: instance.name, host: primary?.host, port: primary?.port,
                    db_type: instance.engine),
                tags: InstanceTags.tags(instance.labels))
        }
        return instances
    }
}
