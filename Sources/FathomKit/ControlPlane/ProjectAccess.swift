/// Tenancy: who may do what in which project.
///
/// A principal's role in a project is its membership role (global admins are admins everywhere), capped by the
/// token's ceiling; a project-bound token reaches only its project. Without access the answer is 403 for every
/// path under the project, whether or not it exists, so project ids cannot be probed.
struct ProjectAccess: Sendable {
    let projects: ProjectStore

    func role(of principal: Principal, in projectId: String) async throws -> Role? {
        if let bound = principal.projectId, bound != projectId { return nil }
        let membership: Role? =
            principal.userRole == .admin ? .admin : try await projects.role(of: principal.userId, in: projectId)
        return membership.map { min($0, principal.projectCeiling) }
    }

    /// Which instances the principal may see (or act on, for `permission`) on `/api/v1`: the whole fleet for the
    /// global roles; for a tenant the projects where it holds the permission (its bound project at most).
    func scope(of principal: Principal, _ permission: Permission) async throws -> TenantScope {
        guard principal.isTenant else { return .fleet }
        let candidates: [String]
        if let bound = principal.projectId {
            candidates = [bound]
        } else {
            candidates = try await projects.list(memberOf: principal.userId, projectId: nil).map(\.id)
        }
        var allowed: [String] = []
        for projectId in candidates {
            if let role = try await role(of: principal, in: projectId), role.permissions.contains(permission) {
                allowed.append(projectId)
            }
        }
        return .projects(allowed)
    }

    /// The project, if the principal holds `permission` in it.
    func require(_ principal: Principal?, projectId: String, _ permission: Permission) async throws -> Project {
        guard let principal else { throw AppError(.authUnauthorized) }
        guard let role = try await role(of: principal, in: projectId) else {
            throw AppError(.authForbidden, "No access to project '\(projectId)'")
        }
        guard let project = try await projects.get(projectId) else {
            throw AppError(.notFound, "Project '\(projectId)' not found")
        }
        guard role.permissions.contains(permission) else {
            throw AppError(.authForbidden, "Permission '\(permission.rawValue)' required in project '\(projectId)'")
        }
        return project
    }
}
