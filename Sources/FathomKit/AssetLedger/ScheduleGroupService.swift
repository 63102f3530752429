import Foundation

/// The rules of schedule groups: names, IANA zones and `HH:MM` times are validated here; a duplicate name is 409;
/// a group with live sources cannot be deleted.
struct ScheduleGroupService: Sendable {
    let groups: ScheduleGroupStore
    let clock: WallClock

    /// Fields of a create (all given) or an update (any subset).
    struct Changes: Sendable {
        var name: String?
        var timezone: String?
        var runAtHhmm: String?
        var enabled: Bool?
    }

    func list(enabled: Bool?, page: PageRequest) async throws -> (items: [ScheduleGroup], total: Int) {
        try await groups.list(enabled: enabled, offset: page.offset, limit: page.size)
    }

    func get(_ id: String) async throws -> ScheduleGroup {
        guard let group = try await groups.get(id) else { throw AppError(.configScheduleGroupNotFound) }
        return group
    }

    func create(_ changes: Changes) async throws -> ScheduleGroup {
        let now = clock.millis()
        let group = ScheduleGroup(
            groupId: LedgerID.make("sg"), name: try Self.name(changes.name ?? ""),
            enabled: changes.enabled ?? true, timezone: try Self.timezone(changes.timezone ?? ""),
            runAtHhmm: try Self.hhmm(changes.runAtHhmm ?? ""), anchorAt: now, lastTriggeredOn: nil, createdAt: now,
            updatedAt: now, sourceCount: 0)
        return try await duplicateNameIsConflict { try await groups.insert(group) }
    }

    func update(_ id: String, _ changes: Changes) async throws -> ScheduleGroup {
        var group = try await get(id)
        let before = group
        if let name = changes.name { group.name = try Self.name(name) }
        if let zone = changes.timezone { group.timezone = try Self.timezone(zone) }
        if let time = changes.runAtHhmm { group.runAtHhmm = try Self.hhmm(time) }
        if let enabled = changes.enabled { group.enabled = enabled }
        let now = clock.millis()
        // A new time, zone or re-enabling must not fire a slot that was already past when the change was made.
        if group.timezone != before.timezone || group.runAtHhmm != before.runAtHhmm || (group.enabled && !before.enabled) {
            group.anchorAt = now
        }
        group.updatedAt = now
        let changed = group
        guard let stored = try await duplicateNameIsConflict({ try await groups.update(changed) }) else {
            throw AppError(.configScheduleGroupNotFound)
        }
        return stored
    }

    func delete(_ id: String) async throws {
        switch try await groups.delete(id) {
        case .deleted: return
        case .notFound: throw AppError(.configScheduleGroupNotFound)
        case .hasSources:
            throw AppError(
                .configResourceConflict, "Schedule group still has sources; move or delete them first",
                redactedContext: ["groupId": .string(id)])
        }
    }

    private func duplicateNameIsConflict<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "A schedule group with this name already exists")
        }
    }

    // MARK: Validation

    static func name(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw AppError.invalid(field: "name", issue: "required", "name must not be empty") }
        guard name.count <= 200 else { throw AppError.invalid(field: "name", issue: "too_long", "name is at most 200 characters") }
        return name
    }

    static func timezone(_ zone: String) throws -> String {
        // Foundation also accepts abbreviations and offsets ("GMT+8"); only IANA region names are wanted.
        guard TimeZone.knownTimeZoneIdentifiers.contains(zone) || zone == "UTC", TimeZone(identifier: zone) != nil else {
            throw AppError(.configInvalidTimezone, "timezone '\(zone.prefix(64))' is not an IANA time zone such as Asia/Shanghai")
        }
        return zone
    }

    static func hhmm(_ text: String) throws -> String {
        guard Cadence.parseTime(text) != nil else {
            throw AppError(.configInvalidHHMM, "runAtHhmm must be HH:MM (00:00-23:59)")
        }
        return text
    }
}
