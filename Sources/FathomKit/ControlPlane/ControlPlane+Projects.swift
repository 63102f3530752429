import Foundation

extension ControlPlane {
    static let defaultQuotaInstances = 10
    static let defaultQuotaStorageGB = 500

    /// Creates a project; its creator becomes its admin. Needs the global `update` permission.
    func createProject(_ principal: Principal, name rawName: String, description: String?, quotas: (Int?, Int?)) async throws
        -> Project
    {
        guard principal.projectId == nil else {
            throw AppError(.authForbidden, "A project-bound token cannot create projects")
        }
        let name = try Self.validateName(rawName)
        let now = clock.millis()
        let project = Project(
            id: ResourceID.make("proj"), name: name, description: description ?? "",
            quotaInstances: try Self.quota(quotas.0, field: "quotas.instances") ?? Self.defaultQuotaInstances,
            quotaStorageGB: try Self.quota(quotas.1, field: "quotas.storage_gb") ?? Self.defaultQuotaStorageGB,
            createdAt: now, updatedAt: now)
        do {
            try await projects.create(project, creator: principal.userId)
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "A project named '\(name)' already exists")
        }
        return project
    }

    /// The projects the principal can see.
    func listProjects(_ principal: Principal) async throws -> [Project] {
        try await projects.list(
            memberOf: principal.userRole == .admin ? nil : principal.userId, projectId: principal.projectId)
    }

    /// Changes name, description or quotas (project admins; quotas only by global admins).
    func updateProject(
        _ principal: Principal, _ project: Project, name: String?, description: String?, quotas: (Int?, Int?)
    ) async throws -> Project {
        var updated = project
        if let name { updated.name = try Self.validateName(name) }
        if let description { updated.description = description }
        if quotas.0 != nil || quotas.1 != nil {
            guard principal.role == .admin && principal.userRole == .admin else {
                throw AppError(.authForbidden, "Only administrators change quotas")
            }
            updated.quotaInstances = try Self.quota(quotas.0, field: "quotas.instances") ?? updated.quotaInstances
            updated.quotaStorageGB = try Self.quota(quotas.1, field: "quotas.storage_gb") ?? updated.quotaStorageGB
        }
        updated.updatedAt = clock.millis()
        do {
            try await projects.update(updated)
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "A project named '\(updated.name)' already exists")
        }
        return updated
    }

    func deleteProject(_ project: Project) async throws {
        guard try await projects.delete(project.id) else {
            throw AppError(.conflict, "Project \(project.id) still has instances; delete them first")
        }
    }

    static func validateName(_ raw: String, field: String = "name") throws -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard (1...63).contains(name.count), name.allSatisfy(allowed.contains), name.first?.isLetter == true,
            name.last != "-"
        else {
            throw AppError.invalid(
                field: field, issue: "invalid",
                "\(field) must be 1-63 lower-case letters, digits or '-', start with a letter and not end with '-'")
        }
        return name
    }

    static func quota(_ value: Int?, field: String) throws -> Int? {
        guard let value else { return nil }
        guard (0...100_000).contains(value) else {
            throw AppError.invalid(field: field, issue: "out_of_range", "\(field) must be 0-100000")
        }
        return value
    }
}
