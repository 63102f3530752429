import Foundation
import Logging

/// The rules of classification: immutable codes, protected system classes, versioned rules, manual assignments
/// that rules never override, and the classifier that runs after every sync and on demand.
public struct ClassificationService: Sendable {
    let store: Store
    let clock: WallClock
    let logger: Logger
    let cache: AccountCache

    static var codePattern: Regex<Substring> { #/^[a-z][a-z0-9_]{0,63}$/# }

    // MARK: Classifications

    struct ClassificationInput {
        var code: String?
        var displayName: String?
        var description: String?
        var riskLevel: Int?
        var priority: Int?
    }

    static func validate(_ input: ClassificationInput, creating: Bool) throws {
        var issues: [FieldIssue] = []
        if creating {
            if let code = input.code {
                if code.wholeMatch(of: codePattern) == nil {
                    issues.append(.init(field: "code", issue: "invalid", message: "code is lowercase letters, digits and _ (at most 64)"))
                }
            } else {
                issues.append(.init(field: "code", issue: "required", message: "'code' is required"))
            }
            if input.displayName == nil { issues.append(.init(field: "display_name", issue: "required", message: "'display_name' is required")) }
            if input.riskLevel == nil { issues.append(.init(field: "risk_level", issue: "required", message: "'risk_level' is required")) }
        }
        if let name = input.displayName, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 {
            issues.append(.init(field: "display_name", issue: "invalid", message: "display_name is 1-100 characters"))
        }
        if let description = input.description, description.count > 1000 {
            issues.append(.init(field: "description", issue: "too_long", message: "description is at most 1000 characters"))
        }
        if let risk = input.riskLevel, !(1...6).contains(risk) {
            issues.append(.init(field: "risk_level", issue: "out_of_range", message: "risk_level is 1 (highest) to 6"))
        }
        if let priority = input.priority, !(0...100).contains(priority) {
            issues.append(.init(field: "priority", issue: "out_of_range", message: "priority is 0-100"))
        }
        if !issues.isEmpty { throw AppError.invalid(issues) }
    }

    func createClassification(_ input: ClassificationInput) async throws -> ClassificationView {
        try Self.validate(input, creating: true)
        let now = clock.millis()
        return try await store.write { db in
            guard let code = input.code, !(try await ClassificationStore.codeExists(code, on: db)) else {
                throw AppError(.configDuplicateName, "Classification code '\(input.code ?? "")' already exists")
            }
            let id = try await ClassificationStore.insertClassification(
                code: code, displayName: input.displayName ?? code, description: input.description ?? "",
                riskLevel: input.riskLevel ?? 6, priority: input.priority ?? 50, now: now, on: db)
            return try await ClassificationStore.classification(id, on: db)!
        }
    }

    func updateClassification(_ id: Int64, _ input: ClassificationInput) async throws -> ClassificationView {
        try Self.validate(input, creating: false)
        let now = clock.millis()
        return try await store.write { db in
            guard let current = try await ClassificationStore.classification(id, on: db) else { throw Self.notFound("Classification", id) }
            if let code = input.code, code != current.code {
                throw AppError.invalid(field: "code", issue: "immutable", "code cannot be changed")
            }
            try await ClassificationStore.updateClassification(
                id, displayName: input.displayName ?? current.display_name, description: input.description ?? current.description,
                riskLevel: input.riskLevel ?? current.risk_level, priority: input.priority ?? current.priority, now: now, on: db)
            return try await ClassificationStore.classification(id, on: db)!
        }
    }

    /// System classes stay; a class that rules or assignments use is a 409 naming what uses it.
    func deleteClassification(_ id: Int64) async throws {
        try await store.write { db in
            guard let current = try await ClassificationStore.classification(id, on: db) else { throw Self.notFound("Classification", id) }
            if current.is_system {
                throw AppError(.configResourceConflict, "System classification '\(current.code)' cannot be deleted")
            }
            let use = try await ClassificationStore.inUse(id, on: db)
            if use.rules > 0 || use.assignments > 0 {
                throw AppError(
                    .configResourceConflict,
                    "Classification '\(current.code)' is in use by \(use.rules) rule(s) and \(use.assignments) assignment(s)")
            }
            try await ClassificationStore.deleteClassification(id, on: db)
        }
        await cache.invalidate(.classification(dbType: nil))
    }

    static func notFound(_ what: String, _ id: Int64) -> AppError { AppError(.notFound, "\(what) \(id) not found") }

    // MARK: Rules

    struct RuleInput {
        var classificationId: Int64?
        var dbType: String?
        var ruleName: String?
        var expression: JSONValue?
        var isActive: Bool?
    }

    static func normalizedDbType(_ value: String?, field: String = "db_type") throws -> String? {
        guard let value else { return nil }
        let type = value.trimmingCharacters(in: .whitespaces).lowercased()
        guard RuleExpression.dbTypes.contains(type) else {
            throw AppError.invalid(field: field, issue: "invalid", "\(field) must be one of \(RuleExpression.dbTypes.joined(separator: ", "))")
        }
        return type
    }

    /// The expression as stored: validated, then the document exactly as given (keys sorted).
    static func expressionText(_ value: JSONValue) throws -> String {
        _ = try RuleExpression.parse(value)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func createRule(_ input: RuleInput, by user: String?) async throws -> RuleView {
        var issues: [FieldIssue] = []
        if input.classificationId == nil { issues.append(.init(field: "classification_id", issue: "required", message: "'classification_id' is required")) }
        if input.dbType == nil { issues.append(.init(field: "db_type", issue: "required", message: "'db_type' is required")) }
        if input.expression == nil { issues.append(.init(field: "rule_expression", issue: "required", message: "'rule_expression' is required")) }
        let name = input.ruleName?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty || name.count > 200 { issues.append(.init(field: "rule_name", issue: "invalid", message: "rule_name is 1-200 characters")) }
        if !issues.isEmpty { throw AppError.invalid(issues) }
        let dbType = try Self.normalizedDbType(input.dbType)!
        let text = try Self.expressionText(input.expression!)
        let now = clock.millis()
        let rule = try await store.write { db in
            guard try await ClassificationStore.classification(input.classificationId!, on: db) != nil else {
                throw AppError(.notFound, "Classification \(input.classificationId!) not found")
            }
            let id = try await ClassificationStore.insertRule(
                ruleKey: nil, version: 1, classificationId: input.classificationId!, dbType: dbType, name: name, expression: text,
                active: input.isActive ?? true, createdBy: user, now: now, on: db)
            return try await ClassificationStore.rule(id, on: db)!
        }
        await cache.invalidate(.classification(dbType: dbType))
        return rule
    }

    /// A changed expression makes version n+1 and supersedes this one; name and activity change in place.
    func updateRule(_ id: Int64, _ input: RuleInput, by user: String?) async throws -> RuleView {
        if input.classificationId != nil || input.dbType != nil {
            throw AppError.invalid(field: input.classificationId != nil ? "classification_id" : "db_type", issue: "immutable",
                "a rule's class and db type cannot change; create a new rule")
        }
        if let name = input.ruleName?.trimmingCharacters(in: .whitespaces), name.isEmpty || name.count > 200 {
            throw AppError.invalid(field: "rule_name", issue: "invalid", "rule_name is 1-200 characters")
        }
        let text = try input.expression.map(Self.expressionText)
        let now = clock.millis()
        let rule = try await store.write { db in
            guard let current = try await ClassificationStore.rule(id, on: db), !current.is_deleted else { throw Self.notFound("Rule", id) }
            if let newer = current.superseded_by {
                throw AppError(.configResourceConflict, "Rule \(id) was superseded by version \(newer) (rule \(newer)); update that one")
            }
            let name = input.ruleName?.trimmingCharacters(in: .whitespaces) ?? current.rule_name
            let active = input.isActive ?? current.is_active
            let currentText = try Self.expressionText(current.rule_expression)
            if let text, text != currentText {
                let newId = try await ClassificationStore.insertRule(
                    ruleKey: current.rule_key, version: current.version + 1, classificationId: current.classification_id,
                    dbType: current.db_type, name: name, expression: text, active: active, createdBy: user, now: now, on: db)
                try await ClassificationStore.supersede(id, by: newId, now: now, on: db)
                return try await ClassificationStore.rule(newId, on: db)!
            }
            try await ClassificationStore.updateRule(id, name: name, active: active, now: now, on: db)
            return try await ClassificationStore.rule(id, on: db)!
        }
        await cache.invalidate(.classification(dbType: rule.db_type))
        return rule
    }

    func deleteRule(_ id: Int64) async throws {
        let now = clock.millis()
        let dbType = try await store.write { db in
            guard let current = try await ClassificationStore.rule(id, on: db), !current.is_deleted else { throw Self.notFound("Rule", id) }
            if current.superseded_by != nil {
                throw AppError(.configResourceConflict, "Rule \(id) is an old version; delete the current one")
            }
            try await ClassificationStore.deleteRule(id, now: now, on: db)
            return current.db_type
        }
        await cache.invalidate(.classification(dbType: dbType))
    }

    /// The active rules of a db type, compiled; from the cache when it has them. A stored expression that no longer
    /// parses is skipped (fails closed: it classifies nobody) and logged.
    func compiledRules(_ dbType: String) async throws -> [CompiledRule] {
        if let cached = cache.rules(dbType) { return cached }
        let rows = try await store.read { db in try await ClassificationStore.activeRules(dbType: dbType, on: db) }
        var rules: [CompiledRule] = []
        for row in rows {
            do {
                let expression = try RuleExpression.parse(JSONText.decode(row.expression))
                rules.append(CompiledRule(ruleId: row.id, classificationId: row.classificationId, expression: expression, bytes: row.expression.utf8.count * 4))
            } catch {
                logger.warning("classification rule does not parse; skipped", metadata: ["rule_id": .stringConvertible(row.id)])
            }
        }
        cache.setRules(dbType, rules)
        return rules
    }

    // MARK: Auto-classification

    public struct ClassifyResult: Sendable, Encodable {
        public var accounts = 0
        public var assigned = 0
        public var added = 0
        public var removed = 0
    }

    static let batchSize = 2000

    /// Evaluates every active account (of one instance, or all) against its db type's rules, keeping auto assignments
    /// equal to what the rules say; manual assignments are never touched. An account whose facts cannot be read
    /// matches nothing (fails closed). Pipelined: the next batch is read and the previous one written while the
    /// current one is evaluated, itself split over the cores.
    public func autoClassify(instanceId: Int64? = nil) async throws -> ClassifyResult {
        var result = ClassifyResult()
        var rulesByType: [String: [CompiledRule]] = [:]
        try await store.write { db in try await AssignmentStore.dropInactive(instanceId: instanceId, on: db) }
        let store = self.store
        @Sendable func read(after: Int64) async throws -> [AccountFactsRow] {
            try await store.read { db in try await AssignmentStore.facts(instanceId: instanceId, after: after, limit: Self.batchSize, on: db) }
        }
        var next: Task<[AccountFactsRow], any Error>? = Task { try await read(after: 0) }
        var writing: Task<(added: Int, removed: Int), any Error>?
        func settle() async throws {
            guard let previous = writing else { return }
            writing = nil
            let changed = try await previous.value
            result.added += changed.added
            result.removed += changed.removed
        }
        do {
            while let reading = next {
                let batch = try await reading.value
                guard let last = batch.last else { break }
                next = batch.count < Self.batchSize ? nil : Task { try await read(after: last.id) }
                for dbType in Set(batch.map(\.dbType)) where rulesByType[dbType] == nil { rulesByType[dbType] = try await compiledRules(dbType) }
                let wanted = await Self.evaluate(batch, rules: rulesByType)
                result.accounts += batch.count
                result.assigned += wanted.values.reduce(0) { $0 + $1.count }
                try await settle()
                let now = clock.millis()
                writing = Task { try await Self.apply(wanted, accounts: batch.map(\.id), now: now, store: store) }
            }
            try await settle()
        } catch {
            // No write of this run may land after it has reported failure.
            next?.cancel()
            _ = try? await writing?.value
            throw error
        }
        return result
    }

    typealias AccountFactsRow = (id: Int64, dbType: String, facts: String)

    /// account → class → rule, for one batch: decoding and rule evaluation in as many slices as there are cores.
    static func evaluate(_ batch: [AccountFactsRow], rules: [String: [CompiledRule]]) async -> [Int64: [Int64: Int64]] {
        let slices = max(1, min(ProcessInfo.processInfo.activeProcessorCount, batch.count / 250))
        let size = (batch.count + slices - 1) / slices
        return await withTaskGroup(of: [Int64: [Int64: Int64]].self) { group in
            for start in stride(from: 0, to: batch.count, by: size) {
                let slice = Array(batch[start..<min(start + size, batch.count)])
                group.addTask { evaluateSlice(slice, rules: rules) }
            }
            var wanted: [Int64: [Int64: Int64]] = [:]
            for await part in group { wanted.merge(part) { first, _ in first } }
            return wanted
        }
    }

    static func evaluateSlice(_ slice: [AccountFactsRow], rules: [String: [CompiledRule]]) -> [Int64: [Int64: Int64]] {
        var wanted: [Int64: [Int64: Int64]] = [:]
        let facts = decodeFacts(slice.map(\.facts), decoder: JSONDecoder())
        for (position, account) in slice.enumerated() {
            guard let rules = rules[account.dbType], !rules.isEmpty, let facts = facts[position] else { continue }
            let index = FactIndex(dbType: account.dbType, facts: facts)
            var classes: [Int64: Int64] = [:]
            for rule in rules where classes[rule.classificationId] == nil && rule.expression.matches(index) {
                classes[rule.classificationId] = rule.ruleId
            }
            if !classes.isEmpty { wanted[account.id] = classes }
        }
        return wanted
    }

    /// Decodes a batch of stored facts in one decoder call (one call per row costs more than the decoding);
    /// if the batch does not decode as a whole, row by row, and a row that does not decode is nil (matches nothing).
    static func decodeFacts(_ texts: [String], decoder: JSONDecoder) -> [AccountFacts?] {
        var joined = "["
        joined.reserveCapacity(texts.reduce(2) { $0 + $1.utf8.count + 1 })
        for (index, text) in texts.enumerated() {
            if index > 0 { joined += "," }
            joined += text
        }
        joined += "]"
        if let all = try? decoder.decode([AccountFacts].self, from: Data(joined.utf8)), all.count == texts.count { return all }
        return texts.map { try? decoder.decode(AccountFacts.self, from: Data($0.utf8)) }
    }

    /// An (account, classification) pair.
    struct Pair: Hashable {
        var account: Int64
        var classification: Int64
    }

    /// Writes one batch's difference: stale auto assignments out, new ones in.
    static func apply(_ wanted: [Int64: [Int64: Int64]], accounts: [Int64], now: Int64, store: Store) async throws -> (added: Int, removed: Int) {
        try await store.write { db in
            let existing = try await AssignmentStore.existing(accountIds: accounts, on: db)
            var have: Set<Pair> = []
            var stale: [Int64] = []
            for row in existing {
                have.insert(Pair(account: row.accountId, classification: row.classificationId))
                if !row.manual && wanted[row.accountId]?[row.classificationId] == nil { stale.append(row.assignmentId) }
            }
            var fresh: [(accountId: Int64, classificationId: Int64, ruleId: Int64)] = []
            for (account, classes) in wanted {
                for (classification, rule) in classes where !have.contains(Pair(account: account, classification: classification)) {
                    fresh.append((account, classification, rule))
                }
            }
            try await AssignmentStore.deleteAssignments(stale, on: db)
            try await AssignmentStore.insertAuto(fresh, now: now, on: db)
            return (fresh.count, stale.count)
        }
    }
}
