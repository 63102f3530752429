import SQLKit

/// SQL for tenant scope on the fleet routes: a condition on an instance alias, and the project that owns an
/// instance or a tracked database (for routes that name one).
enum TenantScopeQuery {
    /// Nothing for the fleet; otherwise the instance must belong to one of the projects (none: no row at all).
    static func condition(_ scope: TenantScope, alias: String = "i") -> SQLQueryString? {
        guard let ids = scope.projectIds else { return nil }
        guard !ids.isEmpty else { return "1 = 0" }
        return "\(unsafeRaw: alias).project_id IN (\(binds: ids))"
    }

    /// The project of an instance by its integer id, nil when there is no such instance.
    static func project(ofInstance instanceId: Int64, store: Store) async throws -> String? {
        try await store.read { db in
            try await db.raw("SELECT project_id FROM instances WHERE instance_id = \(bind: instanceId)").first()?.string("project_id")
        }
    }

    /// Admits a request naming `instanceId`: an instance outside the scope is 404, as if it did not exist.
    static func require(_ scope: TenantScope, instanceId: Int64, store: Store) async throws {
        guard !scope.isFleet else { return }
        try scope.require(projectId: try await project(ofInstance: instanceId, store: store), "Instance '\(instanceId)'")
    }

    /// The ids of the scope's live PostgreSQL instances (what a tenant's sync-all collects).
    static func instanceIds(_ scope: TenantScope, store: Store) async throws -> [Int64]? {
        guard let condition = condition(scope) else { return nil }
        return try await store.read { db in
            try await db.raw("SELECT i.instance_id FROM instances i WHERE i.state <> 'DELETED' AND \(condition) ORDER BY i.instance_id")
                .all().map { try $0.int64("instance_id") }
        }
    }
}
