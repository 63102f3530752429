/// Which instances a request on `/api/v1` may see and act on: the fleet (global roles viewer/operator/admin) or the
/// instances of some projects (tenants: `member` users and project-bound tokens). Resolved once per request by
/// `TenantScopeMiddleware`; queries add `TenantScopeQuery.condition` and single-instance routes call `require`.
public enum TenantScope: Sendable, Equatable {
    case fleet
    case projects([String])

    public var isFleet: Bool { self == .fleet }

    /// The project ids, or nil for the fleet.
    public var projectIds: [String]? {
        if case .projects(let ids) = self { return ids }
        return nil
    }

    /// Admits an instance of `projectId`; outside the scope it is reported as not found (ids cannot be probed).
    public func require(projectId: String?, _ what: @autoclosure () -> String) throws {
        guard let ids = projectIds else { return }
        guard let projectId, ids.contains(projectId) else { throw AppError(.notFound, "\(what()) not found") }
    }
}
