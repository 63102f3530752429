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
        return membership.map { min($0, principal.role) }
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
