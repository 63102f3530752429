/// Which instances' accounts a caller may see: the fleet (nil) for the global roles; for tenants (project-bound
/// tokens, `member` users) the instances of the projects the request's tenant scope names — none on routes that are
/// not declared `.scoped`. Every accounts read (ledger, permissions, history, export, change logs, assignments)
/// takes this set.
enum AccountScope {
    static func visibleInstances(_ context: AppRequestContext, store: Store) async throws -> Set<Int64>? {
        try await TenantScopeQuery.instanceIds(context.tenantScope, store: store).map(Set.init)
    }

    /// Throws 404 when `instanceId` is outside the caller's scope (as if it did not exist).
    static func require(_ instanceId: Int64, in visible: Set<Int64>?) throws {
        if let visible, !visible.contains(instanceId) { throw AppError(.notFound, "Instance \(instanceId) not found") }
    }
}

/// Integer path parameters; anything that is not a positive integer names nothing (404).
enum PathID {
    static func int(_ context: AppRequestContext, _ name: String, what: String) throws -> Int64 {
        let raw = try context.parameters.require(name)
        guard let id = Int64(raw), id >= 1 else { throw AppError(.notFound, "\(what) '\(raw)' not found") }
        return id
    }
}
