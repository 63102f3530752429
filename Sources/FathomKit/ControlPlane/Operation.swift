import Foundation

/// What an operation does.
public enum OperationType: String, Sendable, Codable, CaseIterable {
    case CREATE_INSTANCE, UPDATE_INSTANCE, DELETE_INSTANCE, RESTART_INSTANCE, FAILOVER_INSTANCE, RESTORE_INSTANCE
    case CREATE_BACKUP, DELETE_BACKUP, CREATE_USER, UPDATE_USER, DELETE_USER, CREATE_DATABASE, DELETE_DATABASE

    /// The job kind that carries it out.
    var jobKind: String { "dbaas." + rawValue.lowercased() }
}

/// An operation's state, derived from its job.
public enum OperationState: String, Sendable, Codable, CaseIterable {
    case PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLING, CANCELLED

    init(job: Job) {
        switch job.state {
        case .queued: self = job.attempts == 0 ? .PENDING : .RUNNING
        case .running: self = job.cancelRequested ? .CANCELLING : .RUNNING
        case .succeeded: self = .SUCCEEDED
        case .partial, .failed: self = .FAILED
        case .cancelled: self = .CANCELLED
        }
    }

    var isFinal: Bool { self == .SUCCEEDED || self == .FAILED || self == .CANCELLED }
}

/// A long-running change, backed by a durable job.
public struct Operation: Sendable {
    public var id: String
    public var projectId: String
    public var instanceId: String?
    public var type: OperationType
    public var targetType: String
    public var targetId: String
    public var parameters: JSONValue
    public var createdBy: String
    public var createdAt: Int64
    public var job: Job

    public var state: OperationState { OperationState(job: job) }
}

/// `error` of an operation or backup that failed: its code and message.
struct FailureView: Encodable {
    var code: String
    var message: String
}

/// An operation as the DBaaS API shows it.
struct OperationView: Encodable {
    struct Target: Encodable {
        var type: String
        var id: String
    }

    var id: String
    var type: OperationType
    var state: OperationState
    var progress_percent: Int
    var progress_message: String?
    var target: Target
    var instance_id: String?
    /// What started a backup or its deletion: `manual`, `scheduled` (a backup policy) or `retention`.
    var trigger: String?
    var error: FailureView?
    var created_at: String
    var started_at: String?
    var updated_at: String
    var finished_at: String?

    init(_ operation: Operation) {
        id = operation.id
        type = operation.type
        state = operation.state
        progress_percent = operation.state == .SUCCEEDED ? 100 : operation.job.progressPercent
        progress_message = operation.job.progressMessage
        target = Target(type: operation.targetType, id: operation.targetId)
        instance_id = operation.instanceId
        trigger = operation.parameters["trigger"]?.stringValue
        if operation.state == .FAILED || operation.state == .CANCELLED, let code = operation.job.errorCode {
            // The DBaaS API is for tenants too: never the administrators' detail (task runs show it to admins).
            error = FailureView(code: code, message: AdminDetail.publicPart(operation.job.errorMessage ?? ""))
        }
        created_at = Timestamp.iso8601(millis: operation.createdAt)
        started_at = operation.job.startedAt.map(Timestamp.iso8601(millis:))
        updated_at = Timestamp.iso8601(millis: operation.job.updatedAt)
        finished_at = operation.job.finishedAt.map(Timestamp.iso8601(millis:))
    }
}
