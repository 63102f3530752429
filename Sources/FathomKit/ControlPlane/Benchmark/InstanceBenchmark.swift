import Foundation
import Logging
import PostgresNIO

/// Times the local provider end to end through the control plane: create, HA create, failover, and backup/restore
/// throughput for a database of a given size. Used by `fathom bench instances`.
public enum InstanceBenchmark {
    public static func run(services: AppServices, sizeMB: Int, say: @Sendable (String) -> Void) async throws {
        let bench = try await Bench(services: services, projectName: "bench")
        let plane = bench.plane, principal = bench.principal, project = bench.project
        let loops = services.runner.start()
        defer { Task { await services.runner.stop(loops) } }
        let wait = bench.wait
        func body(_ name: String, ha: Bool) throws -> CreateInstanceBody { try Bench.createBody(name, ha: ha) }

        let (single, createOp, _) = try await plane.createInstance(principal, project: project, try body("bench-single", ha: false))
        say("create → RUNNING:        \(seconds(try await wait(createOp).1)) s")
        let (ha, haOp, _) = try await plane.createInstance(principal, project: project, try body("bench-ha", ha: true))
        say("HA create → RUNNING:     \(seconds(try await wait(haOp).1)) s")
        let (_, failoverOp) = try await plane.failoverInstance(principal, project: project, id: ha.id)
        let (failedOver, failoverTime) = try await wait(failoverOp)
        say("failover: no primary for \(failedOver.job.result?["unavailable_ms"]?.intValue ?? -1) ms (operation \(seconds(failoverTime)) s, incl. rebuilding the old primary)")

        let target = try await bench.superuser(single.id)
        let logger = Logger(label: "bench")
        say("loading ~\(sizeMB) MB …")
        let bytes = try await PostgresSession.with(target, timeout: .seconds(30), logger: logger) { connection in
            try await connection.query(
                // Random hex compresses about 2:1, like much real data (a repeated string would flatter gzip).
                "CREATE TABLE filler AS SELECT g AS id, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) AS payload FROM generate_series(1, \(sizeMB * 3000)) g",
                logger: logger)
            for try await size in try await connection.query("SELECT pg_database_size('postgres')", logger: logger).decode(Int64.self) {
                return size
            }
            return 0
        }
        let megabytes = Double(bytes) / 1_048_576
        let (backup, backupOp) = try await plane.createBackup(principal, project: project, instanceId: single.id, kind: "full")
        let backupTime = try await wait(backupOp).1
        let stored = try await plane.backup(backup.id, projectId: project.id)
        say(String(format: "backup of %.0f MB: %@ s, %.1f MB/s (archive %.0f MB, verified)", megabytes, seconds(backupTime),
            megabytes / max(0.001, backupTime.seconds), Double(stored.sizeBytes ?? 0) / 1_048_576))
        let (_, restoreOp) = try await plane.restoreInstance(principal, project: project, id: single.id, backupId: backup.id)
        let restoreTime = try await wait(restoreOp).1
        say(String(format: "restore of %.0f MB: %@ s, %.1f MB/s", megabytes, seconds(restoreTime), megabytes / max(0.001, restoreTime.seconds)))
        try await pointInTime(
            services: services, principal: principal, project: project, instanceId: single.id, target: target,
            walMB: max(16, sizeMB / 2), wait: wait, say: say)

        for id in [single.id, ha.id] {
            let (_, deletion) = try await plane.deleteInstance(principal, project: project, id: id)
            _ = try await wait(deletion)
        }
        _ = try await wait(try await plane.deleteBackup(principal, project: project, id: backup.id).1)
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.2f", duration.seconds) }

    /// What every instance benchmark needs: an admin principal, a throw-away project, waiting for operations and
    /// a superuser connection to an instance.
    struct Bench: Sendable {
        let plane: ControlPlane
        let services: AppServices
        let principal = Principal(
            userId: "u_admin", username: "admin", userRole: .admin, role: .admin, projectId: nil, credential: .token(id: "bench"))
        let project: Project

        init(services: AppServices, projectName: String) async throws {
            self.services = services
            plane = services.controlPlane
            project = try await plane.createProject(
                principal, name: "\(projectName)-\(Int.random(in: 1000...9999))", description: "benchmark", quotas: (100, 100_000))
        }

        /// Waits for the operation to end; anything but SUCCEEDED throws. Returns it and how long it took from here.
        @Sendable func wait(_ operation: Operation) async throws -> (Operation, Duration) {
            let started = ContinuousClock.now
            while true {
                let current = try await plane.operation(operation.id, projectId: project.id)
                if current.state.isFinal {
                    guard current.state == .SUCCEEDED else {
                        throw AppError(.jobFailed, "\(current.type.rawValue) ended \(current.state.rawValue): \(current.job.errorMessage ?? "")")
                    }
                    return (current, ContinuousClock.now - started)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        static func createBody(_ name: String, ha: Bool, extra: String = "") throws -> CreateInstanceBody {
            try JSONDecoder().decode(CreateInstanceBody.self, from: Data(#"{"name":"\#(name)","engine":"postgresql","provider":"local","high_availability":\#(ha),"resources":{"cpu":2,"memory_gb":2,"storage_gb":20}\#(extra)}"#.utf8))
        }

        /// The instance's generated superuser, over TCP to its primary's `postgres` database.
        func superuser(_ instanceId: String) async throws -> PostgresSession.Target {
            let running = try await plane.instance(instanceId, projectId: project.id)
            let credential = JSONText.decode(try services.secrets.open(running.sealedCredential ?? ""))
            return PostgresSession.Target(
                host: "127.0.0.1", port: running.endpoints[0].port, username: "postgres",
                password: credential["password"]?.stringValue ?? "", database: "postgres")
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
