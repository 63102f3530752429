import SQLKit

/// SQL for operations; each row is joined with its job, which holds state, progress and errors.
enum OperationStore {
    static let columns = "o.id AS op_id, o.project_id, o.instance_id, o.type, o.target_type, o.target_id, o.parameters, o.created_by, o.created_at AS op_created_at, " + JobQueue.columns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    static func decode(_ row: any SQLRow) throws -> Operation {
        Operation(
            id: try row.string("op_id"), projectId: try row.string("project_id"),
            instanceId: try row.optionalString("instance_id"),
            type: OperationType(rawValue: try row.string("type")) ?? .UPDATE_INSTANCE,
            targetType: try row.string("target_type"), targetId: try row.string("target_id"),
            parameters: JSONText.decode(try row.string("parameters")), createdBy: try row.string("created_by"),
            createdAt: try row.int64("op_created_at"), job: try JobQueue.decode(row))
    }

    static func insert(
        id: String, projectId: String, instanceId: String?, type: OperationType, target: (String, String),
        parameters: JSONValue, createdBy: String, jobId: Int64, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO operations (id, project_id, instance_id, type, job_id, target_type, target_id, parameters,
                                    created_by, created_at)
            VALUES (\(bind: id), \(bind: projectId), \(bind: instanceId), \(bind: type.rawValue), \(bind: jobId),
                    \(bind: target.0), \(bind: target.1), \(bind: JSONText.encode(parameters)), \(bind: createdBy), \(bind: now))
            """
        ).run()
    }

    static func find(projectId: String?, id: String, on db: any SQLDatabase) async throws -> Operation? {
        let scope: SQLQueryString = projectId.map { "AND o.project_id = \(bind: $0)" } ?? ""
        return try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM operations o JOIN jobs j ON j.id = o.job_id WHERE o.id = \(bind: id) \(scope)"
        ).first().map(decode)
    }

    static func find(jobId: Int64, on db: any SQLDatabase) async throws -> Operation? {
        try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM operations o JOIN jobs j ON j.id = o.job_id WHERE o.job_id = \(bind: jobId)"
        ).first().map(decode)
    }

    /// Operations given up after their worker died (recovery failed the job) whose instance or backup was not
    /// released: the process that gave up was itself killed before it could, so `abandoned` runs again for them.
    static func givenUpUnreleased(on db: any SQLDatabase) async throws -> [Operation] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM operations o JOIN jobs j ON j.id = o.job_id
            WHERE j.state = 'failed' AND j.error_code = 'JOB_LEASE_EXPIRED' AND (
                EXISTS (SELECT 1 FROM instances i WHERE i.active_operation_id = o.id)
                OR (o.type IN ('CREATE_BACKUP', 'DELETE_BACKUP') AND EXISTS (
                    SELECT 1 FROM backups b WHERE b.id = o.target_id AND b.state IN ('PENDING', 'RUNNING', 'DELETING'))))
            """
        ).all().map(decode)
    }

    /// The SQL condition for an operation state, which lives in the job row.
    static func stateCondition(_ state: OperationState) -> SQLQueryString {
        switch state {
        case .PENDING: return "(j.state = 'queued' AND j.attempts = 0)"
        case .RUNNING:
            return "((j.state = 'running' AND j.cancel_requested = \(bind: false)) OR (j.state = 'queued' AND j.attempts > 0))"
        case .CANCELLING: return "(j.state = 'running' AND j.cancel_requested = \(bind: true))"
        case .SUCCEEDED: return "j.state = 'succeeded'"
        case .FAILED: return "j.state = 'failed'"
        case .CANCELLED: return "j.state = 'cancelled'"
        }
    }

    /// The steps an operation's runs recorded (parameters.steps), oldest first.
    static func steps(_ parameters: JSONValue) -> [String] {
        guard case .array(let steps)? = parameters["steps"] else { return [] }
        return steps.compactMap(\.stringValue)
    }

    /// Records a finished step of an operation, so a run after a crash knows where the last one got to.
    static func appendStep(_ id: String, _ step: String, on db: any SQLDatabase) async throws {
        guard let operation = try await find(projectId: nil, id: id, on: db), case .object(var parameters) = operation.parameters
        else { return }
        parameters["steps"] = .array(steps(operation.parameters).map(JSONValue.string) + [.string(step)])
        try await setParameters(id, .object(parameters), on: db)
    }

    static func setParameters(_ id: String, _ parameters: JSONValue, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE operations SET parameters = \(bind: JSONText.encode(parameters)) WHERE id = \(bind: id)").run()
    }

    /// A cursor page of the rows matching `conditions`, with their count.
    static func page(
        where conditions: [SQLQueryString], page: CursorPage, sort: SortOrder, on db: any SQLDatabase
    ) async throws -> (rows: [Operation], total: Int) {
        try await CursorPageQuery(columns: columns, from: "operations o JOIN jobs j ON j.id = o.job_id", filter: conditions, idColumn: "o.id")
            .run(on: db, page: page, sort: sort, decode: decode)
    }
}
