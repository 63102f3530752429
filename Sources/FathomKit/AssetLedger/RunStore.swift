import SQLKit

/// SQL of runs. Status changes are conditional on the current status, so a late writer (a cancel racing the
/// end of a run, a recovered job) never overwrites a finished run.
struct RunStore: Sendable {
    let store: Store

    static let select: SQLQueryString = """
        SELECT r.run_id, r.source_id, s.name AS source_name, r.mode, r.trigger_type, r.status, r.job_id, r.cancel_requested,
               r.detect_result, r.stats, r.warnings, r.errors, r.stderr_excerpt, r.created_at, r.started_at, r.finished_at
        FROM asset_runs r JOIN asset_sources s ON s.source_id = r.source_id
        """

    static func decode(_ row: any SQLRow) throws -> Run {
        func array(_ column: String) throws -> [JSONValue] {
            if case .array(let items) = JSONText.decode(try row.string(column)) { return items }
            return []
        }
        return Run(
            runId: try row.string("run_id"), sourceId: try row.string("source_id"), sourceName: try row.string("source_name"),
            mode: try row.string("mode"), triggerType: try row.string("trigger_type"),
            status: Run.Status(rawValue: try row.string("status")) ?? .failed, jobId: try row.optionalInt64("job_id"),
            cancelRequested: try row.bool("cancel_requested"),
            detectResult: try row.optionalString("detect_result").map(JSONText.decode),
            stats: try row.optionalString("stats").map(JSONText.decode), warnings: try array("warnings"),
            errors: try array("errors"), stderrExcerpt: try row.optionalString("stderr_excerpt"),
            createdAt: try row.int64("created_at"), startedAt: try row.optionalInt64("started_at"),
            finishedAt: try row.optionalInt64("finished_at"))
    }

    struct Filter: Sendable {
        var sourceId: String?
        var status: String?
        var mode: String?
        var triggerType: String?
    }

    func list(_ filter: Filter, offset: Int, limit: Int) async throws -> (items: [Run], total: Int) {
        var conditions: [SQLQueryString] = ["1 = 1"]
        if let value = filter.sourceId { conditions.append("r.source_id = \(bind: value)") }
        if let value = filter.status { conditions.append("r.status = \(bind: value)") }
        if let value = filter.mode { conditions.append("r.mode = \(bind: value)") }
        if let value = filter.triggerType { conditions.append("r.trigger_type = \(bind: value)") }
        let condition = conditions.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_runs r WHERE \(condition)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                """
                \(Self.select) WHERE \(condition) ORDER BY r.created_at DESC, r.run_id DESC
                LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all()
            return (try rows.map(Self.decode), total)
        }
    }

    func get(_ id: String) async throws -> Run? {
        try await store.read { db in try await Self.get(id, on: db) }
    }

    static func get(_ id: String, on db: any SQLDatabase) async throws -> Run? {
        try await db.raw("\(select) WHERE r.run_id = \(bind: id)").first().map(decode)
    }

    func active(sourceId: String) async throws -> Run? {
        try await store.read { db in
            try await db.raw("\(Self.select) WHERE r.source_id = \(bind: sourceId) AND r.status IN ('Queued', 'Running')")
                .first().map(Self.decode)
        }
    }

    enum InsertOutcome: Sendable { case inserted(Run), sourceGone }

    /// Inserts a Queued run and its job in one transaction. A second active run of the source breaks the partial
    /// unique index (`StoreError.uniqueViolation`), which the caller answers with the active run.
    func insertQueued(
        runId: String, sourceId: String, mode: String, triggerType: String, now: Int64, job: NewJob, maxAttempts: Int,
        backend: Store.Backend
    ) async throws -> InsertOutcome {
        try await store.write { db in
            // Locks the source row on PostgreSQL so a concurrent soft delete waits for (and then sees) this run.
            let lock: SQLQueryString = backend == .postgres ? "FOR UPDATE" : ""
            let live = try await db.raw(
                "SELECT source_id FROM asset_sources WHERE source_id = \(bind: sourceId) AND deleted_at IS NULL \(lock)"
            ).first()
            guard live != nil else { return .sourceGone }
            try await db.raw(
                """
                INSERT INTO asset_runs (run_id, source_id, mode, trigger_type, status, cancel_requested, warnings, errors,
                                        created_at)
                VALUES (\(bind: runId), \(bind: sourceId), \(bind: mode), \(bind: triggerType), 'Queued', \(bind: false),
                        '[]', '[]', \(bind: now))
                """
            ).run()
            let jobId = try await JobQueue.insert(job, maxAttempts: maxAttempts, now: now, on: db)
            try await db.raw("UPDATE asset_runs SET job_id = \(bind: jobId) WHERE run_id = \(bind: runId)").run()
            guard let run = try await Self.get(runId, on: db) else { throw AppError(.dbWriteFailed) }
            return .inserted(run)
        }
    }

    /// Queued → Running; false if the run is no longer queued (cancelled meanwhile).
    func markRunning(_ id: String, now: Int64) async throws -> Bool {
        try await store.write { db in
            !(try await db.raw(
                """
                UPDATE asset_runs SET status = 'Running', started_at = \(bind: now)
                WHERE run_id = \(bind: id) AND status = 'Queued' RETURNING run_id
                """
            ).all()).isEmpty
        }
    }

    /// Records how an active run ended; false if it had already ended.
    @discardableResult
    func finish(_ id: String, _ end: RunEnd, now: Int64) async throws -> Bool {
        try await store.write { db in try await Self.finish(id, end, now: now, on: db) }
    }

    static func finish(_ id: String, _ end: RunEnd, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        !(try await db.raw(
            """
            UPDATE asset_runs SET status = \(bind: end.status.rawValue), stats = \(bind: end.stats.map(JSONText.encode)),
                detect_result = \(bind: end.detectResult.map(JSONText.encode)),
                warnings = \(bind: JSONText.encode(.array(end.warnings))), errors = \(bind: JSONText.encode(.array(end.errors))),
                stderr_excerpt = \(bind: end.stderrExcerpt), finished_at = \(bind: now),
                started_at = COALESCE(started_at, \(bind: now))
            WHERE run_id = \(bind: id) AND status IN ('Queued', 'Running')
            RETURNING run_id
            """
        ).all()).isEmpty
    }

    /// Asks an active run to stop: a queued run is cancelled at once, a running one is flagged for its worker.
    /// Returns the run afterwards, nil if it does not exist.
    func requestCancel(_ id: String, now: Int64) async throws -> Run? {
        try await store.write { db in
            try await db.raw(
                """
                UPDATE asset_runs SET status = 'Cancelled', cancel_requested = \(bind: true), finished_at = \(bind: now)
                WHERE run_id = \(bind: id) AND status = 'Queued'
                """
            ).run()
            try await db.raw(
                "UPDATE asset_runs SET cancel_requested = \(bind: true) WHERE run_id = \(bind: id) AND status = 'Running'"
            ).run()
            return try await Self.get(id, on: db)
        }
    }
}
