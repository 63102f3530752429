import Foundation

/// A tenant of the DBaaS API: instances, operations and backups belong to one project.
public struct Project: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var quotaInstances: Int
    public var quotaStorageGB: Int
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// A project as `/v1/projects` shows it.
struct ProjectView: Encodable {
    struct Quotas: Encodable {
        var instances: Int
        var storage_gb: Int
    }
    struct Usage: Encodable {
        var instances: Int
        /// Storage allocated to live instances.
        var storage_gb: Int
        /// Bytes of backups kept (also of deleted instances) and of WAL archives: counted against `storage_gb` too.
        var backup_bytes: Int64 = 0
        var wal_archive_bytes: Int64 = 0
    }

    var id: String
    var name: String
    var description: String
    var quotas: Quotas
    var usage: Usage?
    var role: Role?
    var created_at: String
    var updated_at: String

    init(_ project: Project, usage: Usage? = nil, role: Role? = nil) {
        id = project.id
        name = project.name
        description = project.description
        quotas = Quotas(instances: project.quotaInstances, storage_gb: project.quotaStorageGB)
        self.usage = usage
        self.role = role
        created_at = Timestamp.iso8601(millis: project.createdAt)
        updated_at = Timestamp.iso8601(millis: project.updatedAt)
    }
}

/// A user's role in a project.
struct ProjectMember: Sendable, Encodable {
    var user_id: String
    var username: String
    var role: Role
    var created_at: String
}

/// Opaque prefixed ids of DBaaS resources.
enum ResourceID {
    static func make(_ prefix: String) -> String {
        prefix + "-" + Secrets.randomToken(bytes: 9).lowercased().replacingOccurrences(of: "_", with: "x")
            .replacingOccurrences(of: "-", with: "y")
    }
}
