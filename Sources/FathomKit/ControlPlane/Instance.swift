import Foundation

/// An instance's lifecycle state (DESIGN.md "DBaaS semantics").
public enum InstanceState: String, Sendable, Codable, CaseIterable {
    case CREATING, RUNNING, STOPPED, RESTARTING, FAILING_OVER, RESTORING, BACKING_UP, DELETING, DELETED, FAILED
}

/// Requested compute and storage.
public struct Resources: Codable, Sendable, Equatable {
    public var cpu: Int
    public var memory_gb: Int
    public var storage_gb: Int

    public init(cpu: Int, memory_gb: Int, storage_gb: Int) {
        self.cpu = cpu
        self.memory_gb = memory_gb
        self.storage_gb = storage_gb
    }

    func validate(field: String = "resources") throws {
        var issues: [FieldIssue] = []
        if !(1...64).contains(cpu) { issues.append(.init(field: "\(field).cpu", issue: "out_of_range", message: "cpu must be 1-64")) }
        if !(1...512).contains(memory_gb) {
            issues.append(.init(field: "\(field).memory_gb", issue: "out_of_range", message: "memory_gb must be 1-512"))
        }
        if !(1...65_536).contains(storage_gb) {
            issues.append(.init(field: "\(field).storage_gb", issue: "out_of_range", message: "storage_gb must be 1-65536"))
        }
        if !issues.isEmpty { throw AppError.invalid(issues) }
    }
}

/// Where clients connect.
public struct Endpoint: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case primary, standby }
    public var host: String
    public var port: Int
    public var role: Role

    public init(host: String, port: Int, role: Role) {
        self.host = host
        self.port = port
        self.role = role
    }
}

/// An existing server an `external` instance points at.
public struct ExternalConnection: Codable, Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: String
}

/// A database instance as stored.
public struct Instance: Sendable, Equatable {
    public var instanceId: Int64
    public var id: String
    public var projectId: String
    public var name: String
    public var engine: String
    public var version: String
    public var region: String
    public var provider: String
    public var state: InstanceState
    public var resources: Resources
    public var highAvailability: Bool
    public var labels: [String: String]
    public var endpoints: [Endpoint]
    public var connection: ExternalConnection?
    /// Sealed (AES-GCM) credential JSON; never leaves the server.
    public var sealedCredential: String?
    public var activeOperationId: String?
    /// Measured size of the instance's data, against `resources.storage_gb` as the limit.
    public var storageUsedBytes: Int64? = nil
    /// The database and its owner made with the instance (local instances), for `connection_uri`.
    public var defaultDatabase: String? = nil
    public var defaultUser: String? = nil
    /// Scheduled backups, retention and WAL archiving; nil when the instance has none.
    public var backupPolicy: BackupPolicy? = nil
    /// Slots of the backup schedule at or before this instant never fire (set whenever the schedule is retimed).
    public var backupAnchorAt: Int64? = nil
    /// The last schedule slot that started a backup.
    public var backupLastSlotAt: Int64? = nil
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// An instance as the DBaaS API shows it (credentials are never included).
struct InstanceView: Encodable {
    /// The storage limit and what the instance uses of it (measured by reconciliation for local instances).
    struct Storage: Encodable {
        var limit_gb: Int
        var used_bytes: Int64?
        var over_limit: Bool
    }

    var id: String
    var instance_id: Int64
    var name: String
    var state: InstanceState
    var engine: String
    var version: String
    var region: String
    var provider: String
    var resources: Resources
    var high_availability: Bool
    var labels: [String: String]
    var endpoints: [EndpointView]
    var connection: ExternalConnection?
    var storage: Storage
    var default_database: String?
    var default_user: String?
    var backup_policy: BackupPolicy?
    /// Only for instances with `pitr_enabled` and a base backup taken since; filled by the single-instance reads.
    var recoverable_window: RecoverableWindow?
    /// WAL archiving as the primary reports it (a failing archive shows here); single-instance reads only.
    var archiving: ArchiveHealth?
    var created_at: String
    var updated_at: String
    /// The machine the instance runs on, when the asset ledger knows it (left out otherwise).
    var runs_on: InstancePlacements.Placement?

    init(_ instance: Instance, runsOn: InstancePlacements.Placement? = nil) {
        runs_on = runsOn
        id = instance.id
        instance_id = instance.instanceId
        name = instance.name
        state = instance.state
        engine = instance.engine
        version = instance.version
        region = instance.region
        provider = instance.provider
        resources = instance.resources
        high_availability = instance.highAvailability
        labels = instance.labels
        endpoints = instance.endpoints.map { EndpointView($0, instance: instance) }
        connection = instance.connection
        default_database = instance.defaultDatabase
        default_user = instance.defaultUser
        backup_policy = instance.backupPolicy
        let limit = Int64(instance.resources.storage_gb) * 1_073_741_824
        storage = Storage(
            limit_gb: instance.resources.storage_gb, used_bytes: instance.storageUsedBytes,
            over_limit: instance.storageUsedBytes.map { $0 > limit } ?? false)
        created_at = Timestamp.iso8601(millis: instance.createdAt)
        updated_at = Timestamp.iso8601(millis: instance.updatedAt)
    }
}

/// An endpoint with the URI to reach it: the instance's default database as its default user (the password is
/// never part of it; it was shown once when the instance was created).
struct EndpointView: Encodable {
    var host: String
    var port: Int
    var role: Endpoint.Role
    var connection_uri: String

    init(_ endpoint: Endpoint, instance: Instance) {
        host = endpoint.host
        port = endpoint.port
        role = endpoint.role
        let database = instance.defaultDatabase ?? instance.connection?.database ?? "postgres"
        let user = instance.defaultUser.map { $0 + "@" } ?? ""
        let hostPart = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        connection_uri = "postgresql://\(user)\(hostPart):\(endpoint.port)/\(database)"
    }
}
