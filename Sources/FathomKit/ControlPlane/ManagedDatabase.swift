import Foundation

/// A database on an instance, managed through the DBaaS API (`…/instances/{instance_id}/databases`).
public struct ManagedDatabase: Sendable, Equatable {
    public var projectId: String
    public var instanceId: String
    public var name: String
    /// The database user that owns it (and so may create schemas and tables in it).
    public var owner: String
    public var encoding: String
    public var locale: String
    /// CREATING, ACTIVE, DELETING, FAILED (a dropped database's row is removed).
    public var state: String
    public var createdAt: Int64
    public var updatedAt: Int64
}

struct ManagedDatabaseView: Encodable {
    var name: String
    var instance_id: String
    var owner: String
    var encoding: String
    var locale: String
    var state: String
    var created_at: String
    var updated_at: String

    init(_ database: ManagedDatabase) {
        name = database.name
        instance_id = database.instanceId
        owner = database.owner
        encoding = database.encoding
        locale = database.locale
        state = database.state
        created_at = Timestamp.iso8601(millis: database.createdAt)
        updated_at = Timestamp.iso8601(millis: database.updatedAt)
    }
}

/// `POST …/instances/{instance_id}/databases` body.
struct CreateDatabaseBody: StrictBody {
    var name: String
    var owner: String?
    var encoding: String?
    var locale: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, owner, encoding, locale }
}

/// What a provider needs to create a database.
public struct DatabaseSpec: Sendable {
    public var name: String
    public var owner: String
    public var encoding: String
    public var locale: String
}
