import Foundation
import SQLKit

/// The ledger's filters, its page query and the keyset batches the CSV export streams.
struct LedgerQuery {
    /// What a ledger read needs: the store, the clock (freshness) and where pages start.
    struct Source: Sendable {
        let store: Store
        let clock: WallClock
        let positions: LedgerPositions
    }

    let source: Source
    let query: QueryParameters

    /// The ledger's conditions; malformed values are a 400 before anything is read.
    struct Filter {
        /// Conditions on the instance alone (state, engine, id, tags): an instance is in or out as a whole.
        var instance: SQLQueryString
        /// Every condition, for rows of instances `i` joined to databases `d`.
        var all: SQLQueryString
        /// No condition looks at a database's own fields beyond being active.
        var wholeInstances: Bool
        /// The instance conditions' values, naming them for `LedgerPositions`.
        var instanceKey: String
    }

    func filter() throws -> Filter {
        var instance: [SQLQueryString] = ["i.state <> 'DELETED'"]
        if let scoped = TenantScopeQuery.condition(query.scope) { instance.append(scoped) }
        let type = query.string("db_type").map { $0.lowercased() }.flatMap { $0 == "all" ? nil : $0 }
        if let type { instance.append("i.engine = \(bind: type)") }
        let instanceId = try query.int("instance_id")
        if let instanceId { instance.append("i.instance_id = \(bind: instanceId)") }
        let tags = query.list("tags")
        // QueryLimitsMiddleware bounds this already; kept here so no caller can build an unbounded OR.
        guard tags.count <= QueryLimits.maxValues else {
            throw AppError.invalid([
                FieldIssue(field: "tags", issue: "too_many", message: "tags accepts at most \(QueryLimits.maxValues) values", limit: QueryLimits.maxValues)
            ])
        }
        if !tags.isEmpty {
            // Any of the tags: `key` matches a label key, `key:value` a label.
            let matches: [SQLQueryString] = tags.map { tag in
                let parts = tag.split(separator: ":", maxSplits: 1).map(String.init)
                return parts.count == 2 ? "(l.key = \(bind: parts[0]) AND l.value = \(bind: parts[1]))" : "l.key = \(bind: tag)"
            }
            instance.append("EXISTS (SELECT 1 FROM instance_labels l WHERE l.instance_id = i.instance_id AND (\(matches.joined(separator: " OR "))))")
        }
        var database: [SQLQueryString] = ["d.is_active = \(bind: true)"]
        let search = query.string("search")
        if let search {
            let pattern = "%" + search.lowercased() + "%"
            database.append("(LOWER(d.name) LIKE \(bind: pattern) OR LOWER(i.name) LIKE \(bind: pattern))")
        }
        return Filter(
            instance: instance.joined(separator: " AND "), all: (instance + database).joined(separator: " AND "),
            wholeInstances: search == nil,
            instanceKey: "\(query.scope.projectIds?.joined(separator: ",") ?? "*")\u{1E}\(type ?? "")\u{1F}\(instanceId ?? 0)\u{1F}\(tags.joined(separator: "\u{1F}"))")
    }

    /// The database's own columns; its instance's details are read once per instance (`items`).
    static let columns: SQLQueryString = """
        d.database_id, d.instance_id, d.name AS database_name, d.first_seen_date, d.last_seen_date, d.latest_size_bytes,
        d.latest_collected_at
        """

    func page(offset: Int, limit: Int) async throws -> ([LedgerItemView], Int) {
        let filter = try filter()
        let now = source.clock.millis()
        // Instances by name, then each one's active databases by name: both come ordered from indexes (the second
        // covering the filter), so skipping to a page reads no table row and sorts nothing. (SQLite's CROSS JOIN
        // keeps that join order.)
        let join: SQLQueryString = source.store.backend == .sqlite ? "CROSS JOIN" : "JOIN"
        return try await source.store.read { db in
            var total = 0
            var start: SQLQueryString = "1 = 1"
            var skip = offset
            if filter.wholeInstances {
                // Each instance keeps its count of active databases, so the total and the instance the page starts
                // in come from one small list, and only that instance's databases before the page are skipped.
                let instances = try await source.positions.instances(filter, on: db)
                var before = 0
                var first: LedgerPositions.Instance?
                for instance in instances {
                    if first == nil && offset < before + instance.databases {
                        first = instance
                        skip = offset - before
                    }
                    if first == nil { before += instance.databases }
                    total += instance.databases
                }
                guard let first else { return ([], total) }
                start = "(i.name, i.instance_id) >= (\(bind: first.name), \(bind: first.id))"
            } else {
                total = try await db.raw(
                    "SELECT COUNT(*) AS n FROM instances i \(join) instance_databases d ON d.instance_id = i.instance_id WHERE \(filter.all)"
                ).first()?.int("n") ?? 0
            }
            // The page, its instances' details and their labels are one statement (one to prepare and run instead of
            // two; on PostgreSQL one round trip fewer). Each row carries its instance's labels as one JSON object, so
            // rows are not multiplied by labels.
            let labels: SQLQueryString = source.store.backend == .sqlite
                ? "(SELECT json_group_object(l.key, l.value) FROM instance_labels l WHERE l.instance_id = i.instance_id)"
                : "(SELECT json_object_agg(l.key, l.value)::text FROM instance_labels l WHERE l.instance_id = i.instance_id)"
            let rows = try await db.raw(
                """
                SELECT \(Self.columns), \(Self.instanceColumns), \(labels) AS instance_labels
                FROM instances i \(join) instance_databases d ON d.instance_id = i.instance_id
                WHERE \(filter.all) AND \(start) ORDER BY i.name, i.instance_id, d.name LIMIT \(bind: limit) OFFSET \(bind: skip)
                """
            ).all()
            var databases: [DatabaseRow] = []
            var found: [Int64: InstanceRow] = [:]
            for row in rows {
                let database = try Self.database(row)
                databases.append(database)
                if found[database.instanceId] == nil {
                    var instance = InstanceRow(
                        key: try row.string("instance_uid"), name: try row.string("instance_name"),
                        engine: try row.string("instance_engine"), endpoints: try row.string("instance_endpoints"))
                    // No labels: NULL on PostgreSQL, `{}` on SQLite.
                    if let text = try row.optionalString("instance_labels"), case .object(let pairs) = JSONText.decode(text) {
                        for case (let key, .string(let value)) in pairs { instance.labels[key] = value }
                    }
                    found[database.instanceId] = instance
                }
            }
            return (Self.views(databases, instances: Self.details(found), now: now), total)
        }
    }

    /// The next `limit` rows after `afterId`, in database_id order (constant-memory export).
    func batch(filter: Filter, after afterId: Int64, limit: Int) async throws -> [LedgerItemView] {
        let now = source.clock.millis()
        return try await source.store.read { db in
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
        var tags: [TagView]
    }

    /// A ledger row's own columns.
    struct DatabaseRow {
        var id: Int64
        var instanceId: Int64
        var name: String
        var firstSeen: String
        var lastSeen: String
        var size: Int64?
        var collected: Int64?
    }

    /// An instance's columns and labels as read, before they become its view.
    struct InstanceRow {
        var key: String
        var name: String
        var engine: String
        var endpoints: String
        var labels: [String: String] = [:]
    }

    /// The instance columns a page reads with its rows.
    static let instanceColumns: SQLQueryString =
        "i.id AS instance_uid, i.name AS instance_name, i.engine AS instance_engine, i.endpoints AS instance_endpoints"

    static func database(_ row: any SQLRow) throws -> DatabaseRow {
        // Each column is decoded once (decoding is most of a large export's cost).
        DatabaseRow(
            id: try row.int64("database_id"), instanceId: try row.int64("instance_id"), name: try row.string("database_name"),
            firstSeen: try row.string("first_seen_date"), lastSeen: try row.string("last_seen_date"),
            size: try row.optionalInt64("latest_size_bytes"), collected: try row.optionalInt64("latest_collected_at"))
    }

    /// The views of `rows`; each instance's details and labels are read and decoded once, not once per database.
    static func items(_ rows: [any SQLRow], now: Int64, on db: any SQLDatabase) async throws -> [LedgerItemView] {
        let databases = try rows.map(Self.database)
        return views(databases, instances: try await details(Set(databases.map(\.instanceId)), on: db), now: now)
    }

    static func views(_ databases: [DatabaseRow], instances: [Int64: InstanceDetails], now: Int64) -> [LedgerItemView] {
        // One collection stamps many databases with the same time: format each time once.
        var stamps: [Int64: String] = [:]
        return databases.compactMap { database -> LedgerItemView? in
            guard let instance = instances[database.instanceId] else { return nil }
            let size = database.size
            return LedgerItemView(
                id: database.id, database_name: database.name, db_type: instance.view.db_type, instance: instance.view,
                capacity: .init(
                    size_mb: size.map(SizeFormat.megabytes), size_bytes: size, label: size.map(SizeFormat.label) ?? "unknown",
                    collected_at: database.collected.map { millis in
                        if let stamp = stamps[millis] { return stamp }
                        let stamp = Timestamp.iso8601(millis: millis)
                        stamps[millis] = stamp
                        return stamp
                    }),
                sync_status: SyncStatusView(collectedAt: database.collected, now: now), tags: instance.tags,
                database_id: database.id, is_active: true /* the ledger lists active databases only */,
                first_seen_date: database.firstSeen, last_seen_date: database.lastSeen,
                freshness: database.collected.map { now - $0 <= 36 * 3_600_000 ? "fresh" : "stale" } ?? "never")
        }
    }

    /// The instances' views and tags, read with their labels in one query.
    static func details(_ instanceIds: Set<Int64>, on db: any SQLDatabase) async throws -> [Int64: InstanceDetails] {
        guard !instanceIds.isEmpty else { return [:] }
        var found: [Int64: InstanceRow] = [:]
        for row in try await db.raw(
            """
            SELECT i.instance_id, i.id, i.name, i.engine, i.endpoints, l.key, l.value
            FROM instances i LEFT JOIN instance_labels l ON l.instance_id = i.instance_id
            WHERE i.instance_id IN (\(binds: Array(instanceIds)))
            """
        ).all() {
            let id = try row.int64("instance_id")
            if found[id] == nil {
                found[id] = InstanceRow(
                    key: try row.string("id"), name: try row.string("name"), engine: try row.string("engine"),
                    endpoints: try row.string("endpoints"))
            }
            if let key = try row.optionalString("key") { found[id]?.labels[key] = try row.string("value") }
        }
        return details(found)
    }

    /// The instances' views and tags from their columns and labels.
    static func details(_ found: [Int64: InstanceRow]) -> [Int64: InstanceDetails] {
        var instances: [Int64: InstanceDetails] = [:]
        for (id, instance) in found {
            let endpoints = (try? JSONDecoder().decode([Endpoint].self, from: Data(instance.endpoints.utf8))) ?? []
            let primary = endpoints.first { $0.role == .primary } ?? endpoints.first
            instances[id] = InstanceDetails(
                view: LedgerInstanceView(
                    id: id, instance_id: id, uid: instance.key, name: instance.name, host: primary?.host, port: primary?.port,
                    db_type: instance.engine),
                tags: InstanceTags.tags(instance.labels).map(TagView.init))
        }
        return instances
    }
}
