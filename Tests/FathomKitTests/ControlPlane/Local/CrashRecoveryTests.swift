@testable import FathomKit
import Foundation
import Testing

/// `fathom serve` killed (SIGKILL, by `FATHOM_FAULT`) at every named step of every local-provider operation, then
/// started again: the operation is completed (or rolled back), the instance ends RUNNING and the rows written
/// before the operation are there. Three chains run in parallel, each on one server and one instance, so servers
/// are shared between steps: each restart is armed with the next step's fault and first recovers the last one.
@Suite(.enabled(if: TestPostgres.isAvailable || Backends.requirePostgres, "needs PostgreSQL"), .timeLimit(.minutes(12)))
struct CrashRecoveryTests {
    /// One kill: arm `fault`, start the operation, wait for the kill; `check` runs after the next start.
    struct Kill {
        let fault: String
        let method: String
        let path: String
        var body: String? = nil
        let check: @Sendable (CrashServer, String, String) async throws -> Void
    }

    /// Boots a server per step armed with that step's fault, starts its operation, waits for the kill and, once
    /// restarted, waits for the operation to be decided and runs the step's check.
    static func run(_ server: CrashServer, project: String, _ kills: [Kill]) async throws {
        var previous: (Kill, String)?
        for kill in kills.map(Optional.some) + [nil] {
            try await server.boot(fault: kill?.fault)
            if let (done, operation) = previous {
                let (state, error) = try await server.decided(project, operation)
                print("crash test: \(done.fault) → \(state) \(error)")
                #expect(state == "SUCCEEDED", "\(done.fault): \(state) \(error)")
                try await done.check(server, operation, state)
            }
            guard let kill else { break }
            let (operation, _) = try await server.start(kill.method, kill.path, kill.body)
            try await server.diesAtFault(kill.fault)
            previous = (kill, operation)
        }
    }

    static func withServer(ports: ClosedRange<Int>, _ body: (CrashServer, String) async throws -> Void) async throws {
        let server = try CrashServer(localPorts: ports)
        do {
            try await server.boot()
            let project = try #require(try await server.call("POST", "/v1/projects", #"{"name":"crash"}"#)["project"]?["id"]?.stringValue)
            try await body(server, project)
            await server.tearDown()
        } catch {
            await server.tearDown()
            throw error
        }
    }

    /// Creates an instance and waits for it to run.
    static func create(_ server: CrashServer, _ project: String, name: String, ha: Bool) async throws -> String {
        let (operation, body) = try await server.start("POST", "/v1/projects/\(project)/instances",
            #"{"name":"\#(name)","engine":"postgresql","high_availability":\#(ha)}"#)
        #expect(try await server.decided(project, operation).0 == "SUCCEEDED")
        return try #require(body["instance"]?["id"]?.stringValue)
    }

    /// The instance is RUNNING, its primary answers and holds exactly `rows` in table t, and each standby replays.
    static func expectHealthy(_ server: CrashServer, _ project: String, _ id: String, rows: [String], standbys: Int, _ label: String) async throws {
        let instance = try await server.instance(project, id)
        #expect(instance["state"] == "RUNNING", "\(label): \(instance)")
        let primary = try #require(server.port(instance, "primary"), "\(label): no primary")
        let found = try await server.sql(id, port: primary, "SELECT string_agg(v, ',' ORDER BY v) FROM t")
        #expect(found == rows.sorted().joined(separator: ","), "\(label): rows \(found ?? "none")")
        guard case .array(let endpoints)? = instance["endpoints"] else { return }
        #expect(endpoints.count == 1 + standbys, "\(label): endpoints \(endpoints)")
        for endpoint in endpoints where endpoint["role"] == "standby" {
            let port = Int(endpoint["port"]?.intValue ?? 0)
            #expect(try await waitUntil(timeout: .seconds(30)) { try await server.sql(id, port: port, "SELECT pg_is_in_recovery()") == "t" },
                "\(label): standby on \(port) is not replaying")
        }
        // No scratch copy of a restore is left beside the data.
        #expect(server.entries(id).filter { $0.contains("restore") }.isEmpty, "\(label): \(server.entries(id))")
    }

    static func insert(_ server: CrashServer, _ project: String, _ id: String, _ value: String) async throws {
        let port = try #require(server.port(try await server.instance(project, id), "primary"))
        #expect(try await server.sql(id, port: port, "CREATE TABLE IF NOT EXISTS t (v text); INSERT INTO t VALUES ('\(value)')") != nil)
    }

    @Test func createAndDeleteSurviveAKillAtEveryStep() async throws {
        try await Self.withServer(ports: 21100...21119) { server, project in
            let creates = ["create.after-initdb", "create.after-start", "create.after-standby"].map { fault in
                Kill(fault: fault, method: "POST", path: "/v1/projects/\(project)/instances",
                    body: #"{"name":"\#(fault.replacingOccurrences(of: ".", with: "-"))","engine":"postgresql","high_availability":true}"#
                ) { server, operation, _ in
                    let op = try await server.call("GET", "/v1/projects/\(project)/operations/\(operation)")["operation"]
                    let id = try #require(op?["instance_id"]?.stringValue, "\(String(describing: op))")
                    try await Self.insert(server, project, id, "created")
                    try await Self.expectHealthy(server, project, id, rows: ["created"], standbys: 1, fault)
                    // Only the nodes of the finished create are left: the interrupted run's were removed.
                    #expect(server.entries(id).filter { $0.hasPrefix("node-") && !$0.hasSuffix(".log") }.count == 2, "\(server.entries(id))")
                }
            }
            try await Self.run(server, project: project, creates)
            let victim = try await Self.create(server, project, name: "victim", ha: true)
            try await Self.run(server, project: project, [
                Kill(fault: "delete.after-stop", method: "DELETE", path: "/v1/projects/\(project)/instances/\(victim)") { server, _, _ in
                    #expect(!FileManager.default.fileExists(atPath: "\(server.dataDir)/instances/\(victim)"))
                    #expect(try await waitUntil(timeout: .seconds(20)) { !CrashRecoveryTests.processesMention(victim) })
                },
            ])
        }
    }

    @Test func backupAndRestoreSurviveAKillAtEveryStep() async throws {
        try await Self.withServer(ports: 21120...21139) { server, project in
            let id = try await Self.create(server, project, name: "data", ha: true)
            try await Self.insert(server, project, id, "base")
            var rows = ["base"]
            let backupFaults = ["backup.after-basebackup", "backup.after-verify", "backup.after-compress"]
            var lastBackup = ""
            for fault in backupFaults {
                try await Self.insert(server, project, id, fault)
                rows.append(fault)
                let kept = rows
                try await Self.run(server, project: project, [
                    Kill(fault: fault, method: "POST", path: "/v1/projects/\(project)/instances/\(id)/backups", body: "{}") { server, _, _ in
                        try await Self.expectHealthy(server, project, id, rows: kept, standbys: 1, fault)
                    },
                ])
                let backups = try await server.call("GET", "/v1/projects/\(project)/instances/\(id)/backups")
                guard case .array(let list)? = backups["backups"] else { throw HarnessError("no backups: \(backups)") }
                #expect(list.allSatisfy { $0["state"] == "SUCCEEDED" && ($0["size_bytes"]?.intValue ?? 0) > 100_000 }, "\(list)")
                lastBackup = try #require(list.compactMap { $0["id"]?.stringValue }.max { a, b in
                    (list.first { $0["id"]?.stringValue == a }?["created_at"]?.stringValue ?? "") < (list.first { $0["id"]?.stringValue == b }?["created_at"]?.stringValue ?? "")
                })
            }
            // Every restore brings back exactly the last backup's rows.
            let backedUp = rows
            let restoreFaults = ["restore.after-stop", "restore.after-unpack", "restore.after-move-aside", "restore.after-swap",
                                 "restore.after-start", "restore.after-cleanup"]
            for fault in restoreFaults {
                try await Self.insert(server, project, id, "lost-by-restore")
                try await Self.run(server, project: project, [
                    Kill(fault: fault, method: "POST", path: "/v1/projects/\(project)/instances/\(id)/restore",
                        body: #"{"backup_id":"\#(lastBackup)"}"#) { server, _, _ in
                        try await Self.expectHealthy(server, project, id, rows: backedUp, standbys: 1, fault)
                    },
                ])
            }
        }
    }

    @Test func resizeHighAvailabilityAndFailoverSurviveAKillAtEveryStep() async throws {
        try await Self.withServer(ports: 21140...21159) { server, project in
            let id = try await Self.create(server, project, name: "shape", ha: true)
            try await Self.insert(server, project, id, "base")
            let path = "/v1/projects/\(project)/instances/\(id)"
            func resize(_ fault: String, memory: Int) -> Kill {
                Kill(fault: fault, method: "PATCH", path: path, body: #"{"resources":{"cpu":1,"memory_gb":\#(memory),"storage_gb":10}}"#) { server, _, _ in
                    try await Self.expectHealthy(server, project, id, rows: ["base"], standbys: 1, fault)
                    let port = try #require(server.port(try await server.instance(project, id), "primary"))
                    #expect(try await server.sql(id, port: port, "SHOW shared_buffers") == "\(memory * 256)MB", "\(fault)")
                }
            }
            func highAvailability(_ fault: String, _ on: Bool) -> Kill {
                Kill(fault: fault, method: "PATCH", path: path, body: #"{"high_availability":\#(on)}"#) { server, _, _ in
                    try await Self.expectHealthy(server, project, id, rows: ["base"], standbys: on ? 1 : 0, fault)
                    #expect(try await server.instance(project, id)["high_availability"] == .bool(on))
                }
            }
            func failover(_ fault: String) -> Kill {
                Kill(fault: fault, method: "POST", path: path + "/failover") { server, _, _ in
                    try await Self.expectHealthy(server, project, id, rows: ["base"], standbys: 1, fault)
                }
            }
            try await Self.run(server, project: project, [
                resize("update.after-standby-restart", memory: 2),
                resize("update.after-primary-stop", memory: 1),
                resize("update.after-primary-start", memory: 2),
                highAvailability("update.after-standby-removal", false),
                highAvailability("update.after-standby-create", true),
                failover("failover.after-fence"),
                failover("failover.after-promote"),
                failover("failover.after-rewind"),
                failover("failover.after-standby-start"),
            ])
        }
    }

    /// Whether any live process has the instance id on its command line (a postgres of that instance).
    static func processesMention(_ instance: String) -> Bool {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), processAlive(pid),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            if String(decoding: data, as: UTF8.self).contains(instance) { return true }
        }
        return false
    }
}
