import Foundation

/// The rules of sources: config validated per type, credentials sealed before they reach the store and never
/// returned, soft delete refused while a run is active.
struct SourceService: Sendable {
    let sources: SourceStore
    let groups: ScheduleGroupStore
    let secrets: SecretBox
    let clock: WallClock

    struct Create: Sendable {
        var name: String
        var sourceType: String
        var scheduleGroupId: String?
        var enabled: Bool?
        var config: JSONValue
        var credential: JSONValue?
    }

    struct Update: Sendable {
        var name: String?
        var sourceType: String?
        /// `.some(nil)` takes the source out of its group.
        var scheduleGroupId: String??
        var enabled: Bool?
        var config: JSONValue?
    }

    func list(_ filter: SourceStore.Filter, page: PageRequest) async throws -> (items: [Source], total: Int) {
        try await sources.list(filter, offset: page.offset, limit: page.size)
    }

    func get(_ id: String) async throws -> Source {
        guard let source = try await sources.get(id) else { throw AppError(.configSourceNotFound) }
        return source
    }

    func create(_ request: Create) async throws -> Source {
        let name = try ScheduleGroupService.name(request.name)
        try SourceConfig.validate(type: request.sourceType, config: request.config)
        if let groupId = request.scheduleGroupId { try await requireGroup(groupId) }
        let sealed = try request.credential.map { try seal(SourceConfig.validateCredential($0)) }
        let now = clock.millis()
        let source = Source(
            sourceId: LedgerID.make("src"), name: name, sourceType: request.sourceType, enabled: request.enabled ?? true,
            scheduleGroupId: request.scheduleGroupId, config: request.config, credentialSealed: sealed, createdAt: now,
            updatedAt: now)
        return try await duplicateNameIsConflict { try await sources.insert(source) }
    }

    func update(_ id: String, _ changes: Update) async throws -> Source {
        var source = try await get(id)
        if let type = changes.sourceType, type != source.sourceType {
            throw AppError.invalid(field: "sourceType", issue: "immutable", "sourceType cannot be changed; create a new source")
        }
        if let name = changes.name { source.name = try ScheduleGroupService.name(name) }
        if let config = changes.config {
            try SourceConfig.validate(type: source.sourceType, config: config)
            source.config = config
        }
        if let groupId = changes.scheduleGroupId {
            if let groupId { try await requireGroup(groupId) }
            source.scheduleGroupId = groupId
        }
        if let enabled = changes.enabled { source.enabled = enabled }
        source.updatedAt = clock.millis()
        let changed = source
        guard let stored = try await duplicateNameIsConflict({ try await sources.update(changed) }) else {
            throw AppError(.configSourceNotFound)
        }
        return stored
    }

    func setCredential(_ id: String, _ credential: JSONValue) async throws {
        let sealed = try seal(SourceConfig.validateCredential(credential, field: "body"))
        guard try await sources.setCredential(id, sealed: sealed, now: clock.millis()) else {
            throw AppError(.configSourceNotFound)
        }
    }

    func delete(_ id: String) async throws {
        switch try await sources.softDelete(id, now: clock.millis()) {
        case .deleted: return
        case .notFound: throw AppError(.configSourceNotFound)
        case .activeRun:
            throw AppError(.configResourceConflict, "Active run exists for this source", redactedContext: ["sourceId": .string(id)])
        }
    }

    /// The decrypted credential for one run's collector request.
    func openCredential(_ source: Source) throws -> [String: String]? {
        guard let sealed = source.credentialSealed else { return nil }
        let text = try secrets.open(sealed)
        return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    private func seal(_ credential: [String: String]) throws -> String {
        let data = try JSONEncoder().encode(credential)
        return try secrets.seal(String(decoding: data, as: UTF8.self))
    }

    private func requireGroup(_ id: String) async throws {
        guard try await groups.get(id) != nil else {
            throw AppError(.configScheduleGroupNotFound, "Schedule group '\(id.prefix(64))' not found")
        }
    }

    private func duplicateNameIsConflict<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "A source with this name already exists")
        }
    }
}
