@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route of the running server, called by every kind of caller, answers as the hand-written
/// `PermissionTable.txt` says; a route without a row there (or a row for a route that is gone) fails.
@Suite(.timeLimit(.minutes(5))) struct PermissionTableTests {
    enum Caller: String, CaseIterable {
        case anon, viewer, `operator`, admin, low, other, outsider
    }

    struct Row {
        let method: String
        let path: String
        let expected: [Caller: String]
        var key: String { "\(method) \(path)" }
    }

    static func table() throws -> [Row] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("PermissionTable.txt").path
        return try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { return nil }
            guard fields.count == 2 + Caller.allCases.count else { throw HarnessError("malformed row: \(line)") }
            return Row(method: fields[0], path: fields[1],
                expected: Dictionary(uniqueKeysWithValues: zip(Caller.allCases, fields[2...])))
        }
    }

    @Test func everyRouteHasARowAndAnswersAsItSays() async throws {
        let rows = try Self.table()
        try await Harness.with(.sqlite) { harness in
            _ = DBaaSFixture(harness)  // the scripted provider, for the instance below
            let (_, routes) = buildRouter(services: harness.services)
            let declared = Set(routes.all.map { "\($0.method.rawValue) \($0.path)" })
            let written = Set(rows.map(\.key))
            for route in declared.subtracting(written).sorted() {
                Issue.record("route \(route) has no row in PermissionTable.txt: add one saying who may call it")
            }
            for route in written.subtracting(declared).sorted() {
                Issue.record("PermissionTable.txt has a row for \(route), which the server does not have")
            }
            #expect(rows.count == written.count, "PermissionTable.txt lists a route twice")

            let viewer = try await harness.createUser("perm-viewer", role: .viewer)
            let op = try await harness.createUser("perm-operator", role: .operator)
            let outsider = try await harness.createUser("perm-outsider", role: .operator)
            try await buildApplication(services: harness.services).test(.live) { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "perm-p")
                let another = try await client.createProject(admin, name: "perm-other")
                for (user, role, inProject) in [(viewer, "viewer", project), (op, "operator", project), (outsider, "admin", another)] {
                    let added = try await client.send(.put, "/v1/projects/\(inProject)/members/\(user.id)", auth: admin, json: #"{"role":"\#(role)"}"#)
                    #expect(added.status.code < 300, "adding \(user.username): \(added.status)")
                }
                // An instance keeps the project from being deleted by the DELETE row.
                let instance = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"keep","engine":"postgresql","version":"16","provider":"scripted"}"#)
                #expect(instance.status == .accepted, "\(instance.text)")

                for row in rows where declared.contains(row.key) {
                    let path = Self.concrete(row.path, project: project)
                    let method = HTTPRequest.Method(rawValue: row.method)!
                    for caller in Caller.allCases {
                        // Fresh sessions for each call: some routes (logout, password, revoke-all) end them.
                        let auth: Auth
                        switch caller {
                        case .anon: auth = .none
                        case .viewer: auth = .session(try await client.login("perm-viewer", "password-123"))
                        case .operator: auth = .session(try await client.login("perm-operator", "password-123"))
                        case .admin: auth = .session(try await client.adminSession())
                        // Fresh tokens too: revoke-all revokes the admin's tokens.
                        case .low: auth = .bearer(try await client.createToken(try await client.adminSession(), role: .viewer))
                        case .other:
                            auth = .bearer(try await client.createToken(try await client.adminSession(), extra: #","projectId":"\#(another)""#))
                        case .outsider: auth = .session(try await client.login("perm-outsider", "password-123"))
                        }
                        let response = try await client.send(method, path, auth: auth, json: ["GET", "DELETE"].contains(row.method) ? nil : "{}")
                        let code = Int(response.status.code)
                        let expected = row.expected[caller]!
                        let label = "\(caller.rawValue) \(row.key) → \(code) \(response.errorCode ?? ""), table says \(expected)"
                        switch expected {
                        case "ok": #expect(code != 401 && code != 403 && code < 500, "\(label)")
                        default: #expect(String(code) == expected, "\(label)")
                        }
                    }
                }
            }
        }
    }

    /// The project placeholder names project P; every other one names nothing that exists.
    static func concrete(_ path: String, project: String) -> String {
        path.replacingOccurrences(of: "{project_id}", with: project)
            .replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "999999", options: .regularExpression)
    }
}
