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
    /// `manual` (asked for through the API) or `scheduled` (the instance's backup policy).
    public var trigger: String = "manual"
    /// When the retention job deletes it (scheduled backups only; manual ones are kept until deleted).
    public var expiresAt: Int64? = nil
    /// The instant (server time) from which the instance's WAL archive can replay this backup forward; nil when
    /// the instance was not archiving WAL when it was taken.
    public var recoverableFrom: Int64? = nil
    /// The first WAL segment the backup needs (archive pruning keeps it and everything after).
    public var walStart: String? = nil
}

/// What a finished backup run produced.
struct MadeBackup: Sendable {
    var sizeBytes: Int64
    var location: String
    var recoverableFrom: Int64?
    var walStart: String?
}

struct BackupView: Encodable {
    var id: String
    var instance_id: String
    var kind: String
    var state: BackupState
    var trigger: String
    var size_bytes: Int64?
    var expires_at: String?
    /// Set when a point-in-time restore can start from this backup.
    var recoverable_from: String?
    var error: FailureView?
    var created_at: String
    var started_at: String?
    var finished_at: String?

    init(_ backup: Backup) {
        id = backup.id
        instance_id = backup.instanceId
        kind = backup.kind
        state = backup.state
        trigger = backup.trigger
        size_bytes = backup.sizeBytes
        expires_at = backup.expiresAt.map(Timestamp.iso8601(millis:))
        recoverable_from = backup.recoverableFrom.map(Timestamp.iso8601(millis:))
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
