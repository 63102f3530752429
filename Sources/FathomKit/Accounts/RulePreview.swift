import Foundation

/// "Which accounts would this rule match?": a rule expression evaluated over the stored facts of every active
/// account of its db_type (the same evaluation auto-classify makes), changing nothing. Tenants see their instances'
/// accounts only.
struct RulePreview: Sendable {
    let store: Store

    struct Match: Encodable, Sendable {
        var account_id: Int64
        var instance_id: Int64
        var username: String
    }

    struct Result: Encodable, Sendable {
        var matched: Int
        var scanned: Int
        /// The first matches in account order, at most `limit`.
        var accounts: [Match]
    }

    func run(_ expression: RuleExpression, dbType: String, visible: Set<Int64>?, limit: Int) async throws -> Result {
        var result = Result(matched: 0, scanned: 0, accounts: [])
        var after: Int64 = 0
        let decoder = JSONDecoder()
        while true {
            let start = after
            let batch = try await store.read { db in
                try await AssignmentStore.namedFacts(dbType: dbType, after: start, limit: ClassificationService.batchSize, on: db)
            }
            guard let last = batch.last else { break }
            after = last.id
            let facts = ClassificationService.decodeFacts(batch.map(\.facts), decoder: decoder)
            for (position, account) in batch.enumerated() where visible?.contains(account.instanceId) ?? true {
                result.scanned += 1
                guard let facts = facts[position], expression.matches(FactIndex(dbType: dbType, facts: facts)) else { continue }
                result.matched += 1
                if result.accounts.count < limit {
                    result.accounts.append(Match(account_id: account.id, instance_id: account.instanceId, username: account.username))
                }
            }
            if batch.count < ClassificationService.batchSize { break }
        }
        return result
    }
}
