import Foundation

/// A source: where a collector reads inventory from (a vCenter, a Proxmox VE cluster, an exec plugin).
struct Source: Sendable {
    var sourceId: String
    var name: String
    var sourceType: String
    var enabled: Bool
    var scheduleGroupId: String?
    var scheduleGroupName: String?
    /// The type's configuration, exactly as given (collectors receive it unchanged).
    var config: JSONValue
    /// The credential sealed with the store's secret key; never leaves the store except into a collector's stdin.
    var credentialSealed: String?
    var deletedAt: Int64?
    var createdAt: Int64
    var updatedAt: Int64
    var lastRun: LastRun?

    struct LastRun: Sendable, Encodable {
        var runId: String
        var status: String
        var finishedAt: String?
    }
}

/// A source as the contract shows it (§4.1); the credential is never part of it, only whether one is set.
struct SourceView: Encodable, Sendable {
    var sourceId: String
    var name: String
    var sourceType: String
    var enabled: Bool
    var scheduleGroupId: String?
    var scheduleGroupName: String?
    var config: JSONValue
    var hasCredential: Bool
    var lastRun: Source.LastRun?
    var createdAt: String
    var updatedAt: String

    init(_ source: Source) {
        sourceId = source.sourceId
        name = source.name
        sourceType = source.sourceType
        enabled = source.enabled
        scheduleGroupId = source.scheduleGroupId
        scheduleGroupName = source.scheduleGroupName
        config = source.config
        hasCredential = source.credentialSealed != nil
        lastRun = source.lastRun
        createdAt = Timestamp.iso8601(millis: source.createdAt)
        updatedAt = Timestamp.iso8601(millis: source.updatedAt)
    }

    // Nullable fields of the contract's shape are written out as null rather than left away.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sourceId, forKey: .sourceId)
        try container.encode(name, forKey: .name)
        try container.encode(sourceType, forKey: .sourceType)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(scheduleGroupId, forKey: .scheduleGroupId)
        try container.encode(scheduleGroupName, forKey: .scheduleGroupName)
        try container.encode(config, forKey: .config)
        try container.encode(hasCredential, forKey: .hasCredential)
        try container.encode(lastRun, forKey: .lastRun)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case sourceId, name, sourceType, enabled, scheduleGroupId, scheduleGroupName, config, hasCredential, lastRun,
            createdAt, updatedAt
    }
}
