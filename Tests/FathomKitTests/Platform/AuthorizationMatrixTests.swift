@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every registered route × every kind of caller gets the status its access rule promises.
@Suite(.timeLimit(.minutes(5))) struct AuthorizationMatrixTests {
    /// Routes meant to be reachable without credentials. A route added as public must be listed here.
    static let publicRoutes: Set<String> = [
        "GET /healthz", "GET /readyz", "GET /metrics", "GET /api/openapi.json", "GET /api/docs", "GET /",
        "GET /assets/console.js", "POST /api/v1/auth/login",
        // Console pages: public routes that send a visitor without a session to /login; their data is the API's.
        "GET /login", "GET /assets/console.css", "GET /instances", "GET /projects/{project_id}/instances",
        "GET /projects/{project_id}/instances/{instance_id}", "GET /databases", "GET /databases/{database_id}",
        "GET /capacity", "GET /profile", "GET /tokens", "GET /admin/users", "GET /admin/task-runs", "GET /admin/schedules",
        // Issue 18: the asset ledger, database accounts, cache and audit pages, and their scripts.
        "GET /assets/inventory.js", "GET /assets/people.js", "GET /inventory/assets", "GET /inventory/assets/{asset_uuid}",
        "GET /inventory/duplicates", "GET /inventory/sources", "GET /inventory/runs", "GET /inventory/runs/{run_id}",
        "GET /accounts", "GET /accounts/classifications", "GET /accounts/{account_id}", "GET /admin/cache", "GET /admin/audit",
    ]

    enum Caller: String, CaseIterable {
        case anonymous, member, viewer, `operator`, admin, bearer, cookieWithoutCSRF
    }

    @Test(arguments: Backends.all)
    func everyRouteForEveryCaller(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("matrix-viewer", role: .viewer)
            _ = try await harness.createUser("matrix-operator", role: .operator)
            // A tenant: no global permission, operator of one project (not the one the concrete paths name).
            let member = try await harness.createUser("matrix-member", role: .member)
            try await harness.services.controlPlane.projects.create(
                Project(id: "proj-matrix", name: "matrix", description: "", quotaInstances: 1, quotaStorageGB: 1, createdAt: 0, updatedAt: 0),
                creator: member.id)
            let (_, table) = buildRouter(services: harness.services)
            let declaredPublic = Set(table.all.filter { $0.access == .public }.map { "\($0.method.rawValue) \($0.path)" })
            #expect(declaredPublic == Self.publicRoutes)

            try await harness.test { client in
                var token = try await client.createToken(try await client.adminSession())
                for spec in table.all {
                    for caller in Caller.allCases {
                        // The admin revoking all its tokens (just before) ended the shared one.
                        if caller == .bearer && spec.path.hasSuffix("revoke-all") {
                            token = try await client.createToken(try await client.adminSession())
                        }
                        // Fresh sessions each time: some routes (logout, password) end sessions.
                        let auth: Auth
                        switch caller {
                        case .anonymous: auth = .none
                        case .member: auth = .session(try await client.login("matrix-member", "password-123"))
                        case .viewer: auth = .session(try await client.login("matrix-viewer", "password-123"))
                        case .operator: auth = .session(try await client.login("matrix-operator", "password-123"))
                        case .admin: auth = .session(try await client.adminSession())
                        case .bearer: auth = .bearer(token)
                        case .cookieWithoutCSRF: auth = .sessionWithoutCSRF(try await client.adminSession())
                        }
                        let response = try await client.send(
                            spec.method, OpenAPITests.concrete(spec.path), auth: auth,
                            json: spec.requestBody == nil ? nil : "{}")
                        let expected = Self.expectation(spec, caller)
                        let label = "\(caller.rawValue) \(spec.method) \(spec.path) → \(response.status.code) \(response.errorCode ?? "")"
                        switch expected {
                        case .allowed:
                            #expect(![401, 403].contains(response.status.code), "\(label)")
                            #expect(response.status.code < 500, "\(label)")
                        case .unauthenticated:
                            #expect(response.status == .unauthorized, "\(label)")
                        case .forbidden(let code):
                            #expect(response.status == .forbidden, "\(label)")
                            #expect(response.errorCode == code, "\(label)")
                        }
                    }
                    if spec.path.hasSuffix("revoke-all") { token = try await client.createToken(try await client.adminSession()) }
                }
            }
        }
    }

    enum Expectation {
        case allowed, unauthenticated, forbidden(String)
    }

    static func expectation(_ spec: RouteSpec, _ caller: Caller) -> Expectation {
        if spec.access == .public { return .allowed }
        let mutating = ![.get, .head].contains(spec.method)
        let role: Role
        switch caller {
        case .anonymous: return .unauthenticated
        case .cookieWithoutCSRF where mutating: return .forbidden("AUTH_CSRF_INVALID")
        case .member: role = .member
        case .viewer: role = .viewer
        case .operator: role = .operator
        case .admin, .bearer, .cookieWithoutCSRF: role = .admin
        }
        switch spec.access {
        case .permission(let permission) where !role.permissions.contains(permission):
            return .forbidden("AUTH_FORBIDDEN")
        case .scoped(let permission) where role != .member && !role.permissions.contains(permission):
            return .forbidden("AUTH_FORBIDDEN")
        case .project:
            // The matrix users are members of no project: only global admins reach a project (here a missing one).
            return role == .admin ? .allowed : .forbidden("AUTH_FORBIDDEN")
        default:
            return .allowed
        }
    }
}
