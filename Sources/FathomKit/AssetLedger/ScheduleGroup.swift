import Foundation

/// A schedule group: the sources in it are collected once per local day at `runAtHhmm` in `timezone`.
struct ScheduleGroup: Sendable {
    var groupId: String
    var name: String
    var enabled: Bool
    var timezone: String
    var runAtHhmm: String
    /// Slots at or before this instant never fire: set at creation and whenever time, zone or enablement change,
    /// so a change never fires a slot that is already past.
    var anchorAt: Int64
    /// The local date (`YYYY-MM-DD` in `timezone`) the group last fired on.
    var lastTriggeredOn: String?
    var createdAt: Int64
    var updatedAt: Int64
    /// Live (not deleted) sources in the group.
    var sourceCount: Int
}

/// A schedule group as the contract shows it (§3.1).
struct ScheduleGroupView: Encodable, Sendable {
    var groupId: String
    var name: String
    var enabled: Bool
    var timezone: String
    var runAtHhmm: String
    var sourceCount: Int
    var lastTriggeredOn: String?
    var createdAt: String
    var updatedAt: String

    init(_ group: ScheduleGroup) {
        groupId = group.groupId
        name = group.name
        enabled = group.enabled
        timezone = group.timezone
        runAtHhmm = group.runAtHhmm
        sourceCount = group.sourceCount
        lastTriggeredOn = group.lastTriggeredOn
        createdAt = Timestamp.iso8601(millis: group.createdAt)
        updatedAt = Timestamp.iso8601(millis: group.updatedAt)
    }

    // `lastTriggeredOn: null` is part of the contract's shape, so nil is written out rather than left away.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(groupId, forKey: .groupId)
        try container.encode(name, forKey: .name)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(timezone, forKey: .timezone)
        try container.encode(runAtHhmm, forKey: .runAtHhmm)
        try container.encode(sourceCount, forKey: .sourceCount)
        try container.encode(lastTriggeredOn, forKey: .lastTriggeredOn)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case groupId, name, enabled, timezone, runAtHhmm, sourceCount, lastTriggeredOn, createdAt, updatedAt
    }
}
