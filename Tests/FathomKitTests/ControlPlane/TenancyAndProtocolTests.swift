@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct TenancyTests {
    @Test(arguments: Backends.all)
    func projectsIsolateTheirResources(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            let alice = try await harness.createUser("alice", role: .operator)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let projectA = try await client.createProject(admin, name: "team-a")
                let projectB = try await client.createProject(admin, name: "team-b")
                let inB = try await client.createInstance(admin, project: projectB, name: "secret-db")
                let instanceB = try #require(inB.json["instance"]?["id"]?.stringValue)
                let member = try await client.send(.put, "/v1/projects/\(projectA)/members/\(alice.id)", auth: admin, json: #"{"role":"operator"}"#)
                #expect(member.json["member"]?["role"] == "operator")

                let aliceSession = try await client.login("alice", "password-123")
                let token = try await client.createToken(aliceSession, extra: #","projectId":"\#(projectA)""#)
                let aliceToken = Auth.bearer(token)
                // Alice sees only project A.
                let projects = try await client.send(.get, "/v1/projects", auth: aliceToken)
                #expect(projects.json["total_count"] == 1)
                #expect(try await client.createInstance(aliceToken, project: projectA, name: "mine").status == .accepted)
                // Every path under B is 403 for her token…
                for (method, path) in [
                    (HTTPRequest.Method.get, "/v1/projects/\(projectB)"), (.get, "/v1/projects/\(projectB)/instances"),
                    (.get, "/v1/projects/\(projectB)/instances/\(instanceB)"), (.delete, "/v1/projects/\(projectB)/instances/\(instanceB)"),
                    (.get, "/v1/projects/\(projectB)/operations"), (.post, "/v1/projects/\(projectB)/instances/\(instanceB)/restart"),
                    (.get, "/v1/projects/proj-doesnotexist/instances"),
                ] {
                    let response = try await client.send(method, path, auth: aliceToken)
                    #expect(response.status == .forbidden, "\(method) \(path)")
                }
                // …and B's instance asked for under A is simply not found.
                let crossed = try await client.send(.get, "/v1/projects/\(projectA)/instances/\(instanceB)", auth: aliceToken)
                #expect(crossed.status == .notFound)
                // A member operator cannot change quotas or membership.
                #expect(try await client.send(.patch, "/v1/projects/\(projectA)", auth: aliceToken, json: #"{"description":"x"}"#).status == .forbidden)
                // A viewer member can read but not write.
                let vera = try await harness.createUser("vera", role: .viewer)
                _ = try await client.send(.put, "/v1/projects/\(projectA)/members/\(vera.id)", auth: admin, json: #"{"role":"viewer"}"#)
                let veraAuth = Auth.session(try await client.login("vera", "password-123"))
                #expect(try await client.send(.get, "/v1/projects/\(projectA)/instances", auth: veraAuth).status == .ok)
                #expect(try await client.createInstance(veraAuth, project: projectA, name: "nope").status == .forbidden)
                // A project with instances cannot be deleted.
                let deleteB = try await client.send(.delete, "/v1/projects/\(projectB)", auth: admin)
                #expect(deleteB.status == .conflict)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct IdempotencyTests {
    @Test(arguments: Backends.all)
    func fiftyConcurrentCreatesWithOneKeyMakeOneInstance(_ backend: Store.Backend) async throws {
        // Duplicates wait for the first answer; the wait is generous so a loaded machine still sees replays only
        // (the in-flight 409 has its own test).
        try await Harness.with(backend, configure: { $0.idempotencyWait = .seconds(120) }) { harness in
            _ = DBaaSFixture(harness)
            try await harness.test { client in
                let session = try await client.adminSession()
                let token = try await client.createToken(session)
                let project = try await client.createProject(.session(session), name: "idem")
                let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "req-abc-123"]
                let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let response = try await client.createInstance(.bearer(token), project: project, name: "once", headers: key)
                            return (Int(response.status.code), response.text)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(Set(bodies.map(\.0)) == [202])
                #expect(Set(bodies.map(\.1)).count == 1)
                let list = try await client.send(.get, "/v1/projects/\(project)/instances", auth: .bearer(token))
                #expect(list.json["total_count"] == 1)
                let operations = try await client.send(.get, "/v1/projects/\(project)/operations", auth: .bearer(token))
                #expect(operations.json["total_count"] == 1)

                let replay = try await client.createInstance(.bearer(token), project: project, name: "once", headers: key)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let different = try await client.createInstance(.bearer(token), project: project, name: "other", headers: key)
                #expect(different.status == .unprocessableContent)
                #expect(different.errorCode == "IDEMPOTENCY_KEY_REUSED")
                // Keys are per principal: another user's identical key is independent.
                _ = try await harness.createUser("other-admin", role: .admin)
                let other = Auth.session(try await client.login("other-admin", "password-123"))
                let independent = try await client.createInstance(other, project: project, name: "theirs", headers: key)
                #expect(independent.status == .accepted)
                // Keys expire after 24 hours.
                harness.clock.advance(by: 86_401)
                let fresh = try await client.createInstance(.bearer(token), project: project, name: "again", headers: key)
                #expect(fresh.status == .accepted)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct CursorPagingTests {
    /// Seeds `count` live instances directly (fast) in one project.
    static func seed(_ services: AppServices, project: String, count: Int, prefix: String) async throws -> Set<String> {
        let now = services.clock.millis()
        return try await services.store.write { db in
            var ids = Set<String>()
            for index in 0..<count {
                let instance = Instance(
                    instanceId: 0, id: ResourceID.make("inst"), projectId: project, name: "\(prefix)-\(index)", engine: "postgresql",
                    version: "16", region: index % 2 == 0 ? "eu" : "us", provider: "scripted", state: .RUNNING,
                    resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1), highAvailability: false,
                    labels: ["tier": index % 3 == 0 ? "gold" : "silver"], endpoints: [], connection: nil, sealedCredential: nil,
                    activeOperationId: nil, createdAt: now + Int64(index / 7), updatedAt: now)
                ids.insert(try await InstanceStore.insert(instance, on: db).id)
            }
            return ids
        }
    }

    @Test(arguments: Backends.all)
    func pagingIsStableUnderConcurrentInsertsAndDeletes(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "paging", quotas: #"{"instances":5000,"storage_gb":100000}"#)
                let stable = try await Self.seed(harness.services, project: project, count: 1000, prefix: "stable")
                let doomed = try await Self.seed(harness.services, project: project, count: 100, prefix: "doomed")
                var seen: [String] = []
                var token = ""
                var page = 0
                repeat {
                    let query = token.isEmpty ? "page_size=37" : "page_size=37&page_token=\(token)"
                    let response = try await client.send(.get, "/v1/projects/\(project)/instances?\(query)", auth: admin)
                    #expect(response.status == .ok)
                    if case .array(let items) = response.json["instances"] {
                        seen += items.compactMap { $0["id"]?.stringValue }
                    }
                    token = response.json["next_page_token"]?.stringValue ?? ""
                    page += 1
                    // Meanwhile others come and go.
                    _ = try await Self.seed(harness.services, project: project, count: 3, prefix: "new\(page)")
                    let victim = doomed.sorted()[page % doomed.count]
                    try await harness.services.store.write { db in
                        try await db.raw("UPDATE instances SET state = 'DELETED' WHERE id = \(bind: victim)").run()
                    }
                } while !token.isEmpty && page < 200
                #expect(seen.count == Set(seen).count, "an instance was listed twice")
                #expect(stable.isSubset(of: Set(seen)), "an instance that existed throughout was skipped")
            }
        }
    }

    @Test(arguments: Backends.all)
    func filterSortAndTokenRules(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "filters", quotas: #"{"instances":500,"storage_gb":100000}"#)
                _ = try await Self.seed(harness.services, project: project, count: 30, prefix: "db")
                let base = "/v1/projects/\(project)/instances"
                let gold = try await client.send(.get, base + "?filter=" + "labels.tier=gold AND region=eu".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, auth: admin)
                #expect(gold.json["total_count"] == 5)  // indexes 0, 6, 12, 18, 24
                let notEu = try await client.send(.get, base + "?filter=region%21%3Deu", auth: admin)
                #expect(notEu.json["total_count"] == 15)
                let byName = try await client.send(.get, base + "?sort=name&page_size=3", auth: admin)
                #expect(byName.json["instances"]?.arrayFirst?["name"] == "db-0")
                let descending = try await client.send(.get, base + "?sort=-name&page_size=1", auth: admin)
                #expect(descending.json["instances"]?.arrayFirst?["name"] == "db-9")
                #expect(try await client.send(.get, base + "?filter=color%3Dred", auth: admin).status == .badRequest)
                #expect(try await client.send(.get, base + "?sort=-size", auth: admin).status == .badRequest)
                let clamped = try await client.send(.get, base + "?page_size=500", auth: admin)
                #expect(clamped.json["instances"]?.arrayCount == 30)
                let small = try await client.send(.get, base + "?page_size=0", auth: admin)
                #expect(small.json["instances"]?.arrayCount == 1)
                let first = try await client.send(.get, base + "?page_size=10&sort=name", auth: admin)
                let token = try #require(first.json["next_page_token"]?.stringValue)
                #expect(!token.isEmpty)
                let tampered = token.dropLast(2) + (token.hasSuffix("AA") ? "BB" : "AA")
                #expect(try await client.send(.get, base + "?page_size=10&sort=name&page_token=\(tampered)", auth: admin).status == .badRequest)
                let otherSort = try await client.send(.get, base + "?page_size=10&sort=state&page_token=\(token)", auth: admin)
                #expect(otherSort.status == .badRequest)
                harness.clock.advance(by: 3601)
                let later = Auth.session(try await client.adminSession())
                #expect(try await client.send(.get, base + "?page_size=10&sort=name&page_token=\(token)", auth: later).status == .badRequest)
                let last = try await client.send(.get, base + "?page_size=30", auth: later)
                #expect(last.json["next_page_token"] == "")
            }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ProtocolTests {
    @Test(arguments: Backends.all)
    func versionNegotiationAndRateLimitHeaders(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let v1 = try await client.send(.get, "/v1/projects", auth: admin, headers: [.accept: "application/vnd.dbaas.v1+json"])
                #expect(v1.status == .ok)
                #expect(v1.headers[HTTPField.Name("X-RateLimit-Limit")!] != nil)
                let v2 = try await client.send(.get, "/v1/projects", auth: admin, headers: [.accept: "application/vnd.dbaas.v2+json"])
                #expect(v2.status == .notAcceptable)
                #expect(v2.errorCode == "NOT_ACCEPTABLE")
                #expect(try await client.send(.get, "/v1/projects", auth: admin, headers: [.accept: "*/*"]).status == .ok)
            }
        }
    }

    @Test(arguments: Backends.all)
    func dbaasWritesAreRateLimited(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.writeRequestsPerMinute = 3 }) { harness in
            try await harness.test { client in
                let token = try await client.createToken(try await client.adminSession())  // 1 write (as admin)
                var statuses: [HTTPResponse.Status] = []
                for index in 0..<3 {
                    statuses.append(try await client.send(.post, "/v1/projects", auth: .bearer(token), json: #"{"name":"rl-\#(index)"}"#).status)
                }
                #expect(statuses == [.created, .created, .tooManyRequests])
                let limited = try await client.send(.post, "/v1/projects", auth: .bearer(token), json: #"{"name":"rl-x"}"#)
                #expect(limited.headers[.retryAfter] != nil)
                #expect(limited.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
                #expect(limited.errorCode == "RATE_LIMITED")
            }
        }
    }
}
