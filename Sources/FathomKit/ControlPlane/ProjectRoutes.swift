import Hummingbird

/// `/v1/projects` and `/v1/projects/{project_id}/members`: tenants, their members and quotas.
struct ProjectRoutes: RouteGroup {
    let plane: ControlPlane
    let identity: Identity

    struct QuotaBody: Codable, Sendable {
        var instances: Int?
        var storage_gb: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case instances, storage_gb }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            instances = try container.decodeIfPresent(Int.self, forKey: .instances)
            storage_gb = try container.decodeIfPresent(Int.self, forKey: .storage_gb)
        }
    }

    struct CreateBody: StrictBody {
        var name: String
        var description: String?
        var quotas: QuotaBody?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, description, quotas }
    }

    struct UpdateBody: StrictBody {
        var name: String?
        var description: String?
        var quotas: QuotaBody?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, description, quotas }
    }

    struct MemberBody: StrictBody {
        var role: Role
        enum CodingKeys: String, CodingKey, CaseIterable { case role }
    }

    static let quotaSchema = Schemas.object(["instances": Schemas.integer, "storage_gb": Schemas.integer])

    var endpoints: [Route] {
        [
            Route(
                .post, "/v1/projects", access: .permission(.update), tag: "dbaas", summary: "Create a project (you become its admin)",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "description": Schemas.string, "quotas": Self.quotaSchema], required: ["name"]),
                successStatus: 201, create),
            Route(.get, "/v1/projects", access: .authenticated, tag: "dbaas", summary: "Projects you can access", list),
            Route(.get, "/v1/projects/{project_id}", access: .project(.view), tag: "dbaas", summary: "A project with its usage", get),
            Route(
                .patch, "/v1/projects/{project_id}", access: .project(.admin), tag: "dbaas",
                summary: "Rename or describe a project; administrators also set quotas",
                requestBody: Schemas.object(["name": Schemas.string, "description": Schemas.string, "quotas": Self.quotaSchema]),
                update),
            Route(
                .delete, "/v1/projects/{project_id}", access: .project(.admin), tag: "dbaas",
                summary: "Delete a project that has no instances", successStatus: 204, delete),
            Route(.get, "/v1/projects/{project_id}/members", access: .project(.view), tag: "dbaas", summary: "Project members", members),
            Route(
                .put, "/v1/projects/{project_id}/members/{user_id}", access: .project(.admin), tag: "dbaas",
                summary: "Add a user to the project or change their role",
                requestBody: Schemas.object(["role": Schemas.enumeration(Role.allCases.map(\.rawValue))], required: ["role"]),
                setMember),
            Route(
                .delete, "/v1/projects/{project_id}/members/{user_id}", access: .project(.admin), tag: "dbaas",
                summary: "Remove a user from the project", successStatus: 204, removeMember),
        ]
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateBody.self)
        let project = try await plane.createProject(
            principal, name: body.name, description: body.description, quotas: (body.quotas?.instances, body.quotas?.storage_gb))
        return try DBaaSResponse.resource("project", ProjectView(project, role: try await plane.access.role(of: principal, in: project.id)), status: .created)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var views: [ProjectView] = []
        for project in try await plane.listProjects(principal) {
            views.append(ProjectView(project, role: try await plane.access.role(of: principal, in: project.id)))
        }
        return try DBaaSResponse.list("projects", views)
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let usage = try await plane.projects.usage(project.id)
        return try DBaaSResponse.resource(
            "project", ProjectView(project, usage: usage, role: try await plane.access.role(of: principal, in: project.id)))
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (principal, project) = try context.projectScope()
        let body = try await request.decodeJSON(UpdateBody.self)
        let updated = try await plane.updateProject(
            principal, project, name: body.name, description: body.description,
            quotas: (body.quotas?.instances, body.quotas?.storage_gb))
        return try DBaaSResponse.resource("project", ProjectView(updated, usage: try await plane.projects.usage(updated.id)))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        try await plane.deleteProject(project)
        return Response(status: .noContent)
    }

    func members(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        return try JSONCoding.response(["members": try await plane.projects.members(project.id)])
    }

    func setMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let userId = try context.parameters.require("user_id")
        let body = try await request.decodeJSON(MemberBody.self)
        guard let user = try await identity.findUser(userId) else { throw AppError(.notFound, "User '\(userId)' not found") }
        try await plane.projects.setMember(project.id, userId: user.id, role: body.role, now: plane.clock.millis())
        let member = try await plane.projects.members(project.id).first { $0.user_id == user.id }
        return try DBaaSResponse.resource("member", member)
    }

    func removeMember(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, project) = try context.projectScope()
        let userId = try context.parameters.require("user_id")
        guard try await plane.projects.removeMember(project.id, userId: userId) else {
            throw AppError(.notFound, "User '\(userId)' is not a member")
        }
        return Response(status: .noContent)
    }
}
