/// A backup's state.
public enum BackupState: String, Sendable, Codable {
    case PENDING, RUNNING, SUCCEEDED, FAILED, DELETING, DELETED
}

/// A backup of an instance.
public struct Backup: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var instanceId: String
    /// `full` (physical base backup) or `logical` (dump).
    public var kind: String
    public var state: BackupState
    public var sizeBytes: Int64?
    public var location: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
}

struct BackupView: Encodable {
    var id: String
    var instance_id: String
    var kind: String
    var state: BackupState
    var size_bytes: Int64?
    var error: FailureView?
    var created_at: String
    var started_at: String?
    var finished_at: String?

    init(_ backup: Backup) {
        id = backup.id
        instance_id = backup.instanceId
        kind = backup.kind
        state = backup.state
        size_bytes = backup.sizeBytes
        error = backup.errorCode.map { FailureView(code: $0, message: backup.errorMessage ?? "") }
        created_at = Timestamp.iso8601(millis: backup.createdAt)
        started_at = backup.startedAt.map(Timestamp.iso8601(millis:))
        finished_at = backup.finishedAt.map(Timestamp.iso8601(millis:))
    }
}

/// A database role on an instance, managed through the API.
public struct DatabaseUser: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var instanceId: String
    public var name: String
    /// Roles the user is a member of.
    public var roles: [String]
    /// Database privileges: database name → [CONNECT, CREATE …].
    public var privileges: [String: [String]]
    public var connectionLimit: Int
    public var login: Bool
    /// CREATING, ACTIVE, UPDATING, DELETING, DELETED, FAILED.
    public var state: String
    public var createdAt: Int64
    public var updatedAt: Int64
}

struct DatabaseUserView: Encodable {
    var id: String
    var instance_id: String
    var name: String
    var roles: [String]
    var privileges: [String: [String]]
    var connection_limit: Int
    var login: Bool
    var state: String
    var created_at: String
    var updated_at: String
    /// Only in the response that generated it; never stored in clear, never listed.
    var password: String?

    init(_ user: DatabaseUser, password: String? = nil) {
        id = user.id
        instance_id = user.instanceId
        name = user.name
        roles = user.roles
        privileges = user.privileges
        connection_limit = user.connectionLimit
        login = user.login
        state = user.state
        created_at = Timestamp.iso8601(millis: user.createdAt)
        updated_at = Timestamp.iso8601(millis: user.updatedAt)
        self.password = password
    }
}
