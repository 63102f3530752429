import Foundation

/// How an instance is backed up on its own: a daily base backup at `start_time` (in `timezone`), kept
/// `retention_days`, and, with `pitr_enabled`, continuous WAL archiving for point-in-time restore.
public struct BackupPolicy: Codable, Sendable, Equatable {
    public var enabled: Bool
    /// "HH:MM", local to `timezone`.
    public var start_time: String
    /// IANA zone of `start_time`; UTC unless given.
    public var timezone: String
    public var retention_days: Int
    public var pitr_enabled: Bool

    static let defaults = BackupPolicy(enabled: true, start_time: "03:00", timezone: "UTC", retention_days: 7, pitr_enabled: false)
    static let retentionRange = 1...3650

    /// The daily cadence of the policy's start time (validated before it is stored).
    var cadence: Cadence? { Cadence.parseTime(start_time).map { .daily(hour: $0.hour, minute: $0.minute) } }

    /// Whether a change between these two policies moves the schedule (past slots must then not fire).
    func retimes(from old: BackupPolicy?) -> Bool {
        guard let old else { return true }
        return old.start_time != start_time || old.timezone != timezone || (enabled && !old.enabled)
    }
}

/// `backup_policy` in an instance's create or PATCH body: every field optional, merged over the current policy
/// (or the defaults); unknown fields are refused like the body's own.
struct BackupPolicyBody: Decodable, Sendable {
    var enabled: Bool?
    var start_time: String?
    var timezone: String?
    var retention_days: Int?
    var pitr_enabled: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, start_time, timezone, retention_days, pitr_enabled }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
            throw AppError.invalid(field: "backup_policy.\(unknown)", issue: "unknown_field", "unknown field '\(unknown)'")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
        start_time = try container.decodeIfPresent(String.self, forKey: .start_time)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        retention_days = try container.decodeIfPresent(Int.self, forKey: .retention_days)
        pitr_enabled = try container.decodeIfPresent(Bool.self, forKey: .pitr_enabled)
    }

    /// The policy this body makes over `base`, or a 400 naming every bad field.
    func merged(over base: BackupPolicy) throws -> BackupPolicy {
        var policy = base
        if let enabled { policy.enabled = enabled }
        if let start_time { policy.start_time = start_time }
        if let timezone { policy.timezone = timezone }
        if let retention_days { policy.retention_days = retention_days }
        if let pitr_enabled { policy.pitr_enabled = pitr_enabled }
        var issues: [FieldIssue] = []
        if Cadence.parseTime(policy.start_time) == nil {
            issues.append(.init(field: "backup_policy.start_time", issue: "invalid", message: "start_time must be HH:MM (00:00-23:59)"))
        }
        if TimeZone(identifier: policy.timezone) == nil {
            issues.append(.init(field: "backup_policy.timezone", issue: "invalid", message: "timezone must be an IANA zone such as UTC or Europe/Berlin"))
        }
        if !BackupPolicy.retentionRange.contains(policy.retention_days) {
            issues.append(
                .init(field: "backup_policy.retention_days", issue: "out_of_range",
                      message: "retention_days must be \(BackupPolicy.retentionRange.lowerBound)-\(BackupPolicy.retentionRange.upperBound)"))
        }
        if !issues.isEmpty { throw AppError.invalid(issues) }
        return policy
    }

    static let schema = Schemas.object([
        "enabled": Schemas.boolean, "start_time": Schemas.string, "timezone": Schemas.string,
        "retention_days": Schemas.integer, "pitr_enabled": Schemas.boolean,
    ])
}

/// The span a point-in-time restore can reach: from the oldest base backup taken while WAL was archived to the
/// latest archived moment (the present while the instance runs: a restore archives its current WAL first).
struct RecoverableWindow: Encodable, Equatable {
    var earliest: String
    var latest: String
    var earliestMillis: Int64
    var latestMillis: Int64

    init(earliestMillis: Int64, latestMillis: Int64) {
        // Printed to the second: the earliest rounds up so that the printed instant is inside the window.
        self.earliestMillis = (earliestMillis + 999) / 1000 * 1000
        self.latestMillis = latestMillis / 1000 * 1000
        earliest = Timestamp.iso8601(millis: self.earliestMillis)
        latest = Timestamp.iso8601(millis: self.latestMillis)
    }

    func contains(_ millis: Int64) -> Bool { millis >= earliestMillis && millis <= latestMillis }

    enum CodingKeys: String, CodingKey { case earliest, latest }
}
