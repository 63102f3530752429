import Hummingbird

/// `/v1/projects`: tenants, their members and quotas.
struct ProjectRoutes {
    let plane: ControlPlane
    let identity: Identity

    struct QuotaBody: Codable, Sendable {
        var instances: Int?
        var storage_gb: Int?
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

    func register(on routes: Routes) {
        let quotaSchema = Schemas.object(["instances": Schemas.integer, "storage_gb": Schemas.integer])
        routes.add(
            RouteSpec(
                .post, "/v1/projects", access: .permission(.update), tag: "dbaas", summary: "Create a project (you become its admin)",
                requestBody: Schemas.object(
                    ["name": Schemas.string, "description": Schemas.string, "quotas": quotaSchema], required: ["name"]),
                successStatus: 201)
        ) { request, context in
            let principal = try context.requirePrincipal()
            let body = try await request.decodeJSON(CreateBody.self)
            let project = try await plane.createProject(
                principal, name: body.name, description: body.description, quotas: (body.quotas?.instances, body.quotas?.storage_gb))
            return try JSONCoding.response(["project": ProjectView(project, role: try await plane.access.role(of: principal, in: project.id))], status: .created)
        }

        routes.add(RouteSpec(.get, "/v1/projects", access: .authenticated, tag: "dbaas", summary: "Projects you can access")) { _, context in
            let principal = try context.requirePrincipal()
            var views: [ProjectView] = []
            for project in try await plane.listProjects(principal) {
                views.append(ProjectView(project, role: try await plane.access.role(of: principal, in: project.id)))
            }
            return try JSONCoding.response(ProjectList(projects: views, next_page_token: "", total_count: views.count))
        }

        routes.add(RouteSpec(.get, "/v1/projects/{pid}", access: .project(.view), tag: "dbaas", summary: "A project with its usage")) { _, context in
            let principal = try context.requirePrincipal()
            let project = try await plane.access.require(principal, projectId: try context.parameters.require("pid"), .view)
            let usage = try await plane.projects.usage(project.id)
            return try JSONCoding.response(["project": ProjectView(project, usage: usage, role: try await plane.access.role(of: principal, in: project.id))])
        }

        routes.add(
            RouteSpec(
                .patch, "/v1/projects/{pid}", access: .project(.admin), tag: "dbaas",
                summary: "Rename or describe a project; administrators also set quotas",
                requestBody: Schemas.object(["name": Schemas.string, "description": Schemas.string, "quotas": quotaSchema]))
        ) { request, context in
            let principal = try context.requirePrincipal()
            let project = try await plane.access.require(principal, projectId: try context.parameters.require("pid"), .admin)
            let body = try await request.decodeJSON(UpdateBody.self)
            let updated = try await plane.updateProject(
                principal, project, name: body.name, description: body.description,
                quotas: (body.quotas?.instances, body.quotas?.storage_gb))
            return try JSONCoding.response(["project": ProjectView(updated, usage: try await plane.projects.usage(updated.id))])
        }

        routes.add(
            RouteSpec(.delete, "/v1/projects/{pid}", access: .project(.admin), tag: "dbaas",
                summary: "Delete a project that has no instances", successStatus: 204)
        ) { _, context in
            let project = try await plane.access.require(context.principal, projectId: try context.parameters.require("pid"), .admin)
            try await plane.deleteProject(project)
            return Response(status: .noContent)
        }

        routes.add(RouteSpec(.get, "/v1/projects/{pid}/members", access: .project(.view), tag: "dbaas", summary: "Project members")) { _, context in
            let project = try await plane.access.require(context.principal, projectId: try context.parameters.require("pid"), .view)
            return try JSONCoding.response(["members": try await plane.projects.members(project.id)])
        }

        routes.add(
            RouteSpec(
                .put, "/v1/projects/{pid}/members/{userId}", access: .project(.admin), tag: "dbaas",
                summary: "Add a user to the project or change their role",
                requestBody: Schemas.object(["role": Schemas.enumeration(Role.allCases.map(\.rawValue))], required: ["role"]))
        ) { request, context in
            let project = try await plane.access.require(context.principal, projectId: try context.parameters.require("pid"), .admin)
            let userId = try context.parameters.require("userId")
            let body = try await request.decodeJSON(MemberBody.self)
            guard let user = try await identity.findUser(userId) else { throw AppError(.notFound, "User '\(userId)' not found") }
            try await plane.projects.setMember(project.id, userId: user.id, role: body.role, now: plane.clock.millis())
            let member = try await plane.projects.members(project.id).first { $0.user_id == user.id }
            return try JSONCoding.response(["member": member])
        }

        routes.add(
            RouteSpec(.delete, "/v1/projects/{pid}/members/{userId}", access: .project(.admin), tag: "dbaas",
                summary: "Remove a user from the project", successStatus: 204)
        ) { _, context in
            let project = try await plane.access.require(context.principal, projectId: try context.parameters.require("pid"), .admin)
            let userId = try context.parameters.require("userId")
            guard try await plane.projects.removeMember(project.id, userId: userId) else {
                throw AppError(.notFound, "User '\(userId)' is not a member")
            }
            return Response(status: .noContent)
        }
    }

    struct ProjectList: Encodable {
        var projects: [ProjectView]
        var next_page_token: String
        var total_count: Int
    }
}
