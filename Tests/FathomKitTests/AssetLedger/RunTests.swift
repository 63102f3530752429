@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// Runs (§4.7, §5) driven through the sample collector: modes, one active run per source, every failure code,
/// cancel, timeout and a worker that dies.
@Suite(.timeLimit(.minutes(10))) struct RunTests {
    @Test(arguments: Backends.all)
    func fiftyConcurrentTriggersMakeOneRun(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let sourceId = try await Ledger.createSource(client, admin)
                let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let response = try await client.send(
                                .post, "/api/v1/sources/\(sourceId)/runs", auth: .session(admin), json: #"{"mode":"collect"}"#)
                            return (Int(response.status.code), response.json["data"]?["runId"]?.stringValue ?? "")
                        }
                    }
                    return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
                }
                #expect(answers.filter { $0.0 == 201 }.count == 1)
                #expect(answers.filter { $0.0 == 200 }.count == 49)
                #expect(Set(answers.map(\.1)).count == 1)
                #expect(try await Ledger.count(harness.services, "SELECT COUNT(*) AS n FROM asset_runs") == 1)
                let again = try await client.send(
                    .post, "/api/v1/sources/\(sourceId)/runs", auth: .session(admin), json: #"{"mode":"detect"}"#)
                #expect(again.status == .ok)
                #expect(again.json["data"]?["message"] == "Active run already exists")
                #expect(again.json["data"]?["status"] == "Queued")
                let badMode = try await client.send(
                    .post, "/api/v1/sources/\(sourceId)/runs", auth: .session(admin), json: #"{"mode":"everything"}"#)
                #expect(badMode.status == .badRequest)
            }
        }
    }

    @Test(arguments: Backends.all)
    func healthcheckDetectAndCollectEndToEnd(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let config = Ledger.execConfig(#""clusters":["c-1"],"hosts":{"h-1":"c-1"},"vms":{"vm-1":"h-1","vm-2":"h-1"}"#)
                let sourceId = try await Ledger.createSource(client, admin, config: config)
                try await Ledger.withRunner(harness.services) {
                    let health = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId, mode: "healthcheck"))
                    #expect(health["status"] == "Succeeded")
                    #expect(health["triggerType"] == "manual")
                    // The harness clock only moves when told: a second apart, the runs sort newest first.
                    harness.clock.advance(by: 1)
                    let detect = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId, mode: "detect"))
                    #expect(detect["detectResult"]?["targetVersion"] == "8.0")
                    #expect(detect["detectResult"]?["driver"] == "sample@v1")
                    harness.clock.advance(by: 1)
                    let collect = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                    #expect(collect["status"] == "Succeeded", "\(collect)")
                    #expect(collect["stats"]?["assets"] == 4)
                    #expect(collect["stats"]?["relations"] == 3)
                    #expect(collect["stats"]?["inventoryComplete"] == true)
                    #expect(collect["durationMs"]?.intValue != nil)
                }
                let runs = try await client.send(.get, "/api/v1/runs?sourceId=\(sourceId)", auth: .session(admin))
                #expect(runs.json["pagination"]?["total"] == 3)
                // Newest first.
                #expect(runs.json["data"]?.arrayItems.map { $0["mode"]?.stringValue ?? "" } == ["collect", "detect", "healthcheck"])
                let detects = try await client.send(.get, "/api/v1/runs?mode=detect&status=Succeeded", auth: .session(admin))
                #expect(detects.json["pagination"]?["total"] == 1)
                #expect(try await client.send(.get, "/api/v1/runs?status=Done", auth: .session(admin)).status == .badRequest)
                #expect(try await client.send(.get, "/api/v1/runs/run_missing", auth: .session(admin)).errorCode == "CONFIG_RUN_NOT_FOUND")
                let source = try await client.send(.get, "/api/v1/sources/\(sourceId)", auth: .session(admin))
                #expect(source.json["data"]?["lastRun"]?["status"] == "Succeeded")
                #expect(try await Ledger.count(harness.services, "SELECT COUNT(*) AS n FROM assets") == 4)
                #expect(try await Ledger.count(harness.services, "SELECT COUNT(*) AS n FROM asset_relations WHERE status = 'active'") == 3)
                #expect(try await Ledger.count(harness.services, "SELECT COUNT(*) AS n FROM asset_source_records") == 4)
            }
        }
    }

    /// Each row of the protocol's failure table, produced by the sample collector (or its absence).
    @Test(arguments: Backends.all)
    func everyFailureCode(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let inventory = #""clusters":["c-1"],"hosts":{"h-1":"c-1"},"vms":{"vm-1":"h-1"}"#
                let cases: [(type: String, config: String, code: String)] = [
                    ("exec", #"{"command":"/nonexistent/collector"}"#, "PLUGIN_EXEC_FAILED"),
                    // A built-in collector's own failure is the run's primary error (nothing listens on port 1).
                    ("pve", #"{"endpoint":"https://127.0.0.1:1","timeout_ms":5000}"#, "PVE_NETWORK_ERROR"),
                    ("exec", Ledger.execConfig(#""scenario":"sleep","pid_file":"/dev/null","timeout_ms":1000"#), "PLUGIN_TIMEOUT"),
                    ("exec", Ledger.execConfig(#""scenario":"exit_nonzero""#), "PLUGIN_EXIT_NONZERO"),
                    ("exec", Ledger.execConfig(#""scenario":"invalid_json""#), "PLUGIN_OUTPUT_INVALID_JSON"),
                    ("exec", Ledger.execConfig(#""scenario":"huge_output","max_output_bytes":65536"#), "PLUGIN_OUTPUT_TOO_LARGE"),
                    ("exec", Ledger.execConfig(#""scenario":"schema_version""#), "PLUGIN_SCHEMA_VERSION_UNSUPPORTED"),
                    ("exec", Ledger.execConfig(#""scenario":"schema_invalid",\#(inventory)"#), "SCHEMA_VALIDATION_FAILED"),
                    ("exec", Ledger.execConfig(#""scenario":"incomplete",\#(inventory)"#), "INVENTORY_INCOMPLETE"),
                    ("vcenter", Ledger.execConfig(#""endpoint":"https://vc.example.com","scenario":"no_relations",\#(inventory)"#),
                     "INVENTORY_RELATIONS_EMPTY"),
                    ("exec", Ledger.execConfig(#""scenario":"plugin_error""#), "VCENTER_AUTH_FAILED"),
                ]
                try await Ledger.withRunner(harness.services) {
                    var runIds: [(String, String)] = []
                    for (index, item) in cases.enumerated() {
                        let sourceId = try await Ledger.createSource(
                            client, admin, name: "failing-\(index)", type: item.type, config: item.config,
                            extra: item.type != "exec" ? #","credential":{"username":"u","password":"p"}"# : "")
                        runIds.append((try await Ledger.trigger(client, admin, sourceId), item.code))
                    }
                    for (runId, code) in runIds {
                        let detail = try await Ledger.finished(client, admin, runId)
                        #expect(detail["status"] == "Failed", "\(code): \(detail)")
                        #expect(detail["errors"]?.arrayItems.first?["code"]?.stringValue == code, "\(detail)")
                    }
                }
                // The schema failure names where, and a collector's own errors keep their order (first is primary).
                let schema = try await client.send(.get, "/api/v1/runs?pageSize=100", auth: .session(admin))
                let failures = schema.json["data"]?.arrayItems ?? []
                #expect(failures.allSatisfy({ ($0["errorsCount"]?.intValue ?? 0) >= 1 }))
                #expect(failures.first(where: { $0["errorCode"] == "VCENTER_AUTH_FAILED" })?["errorsCount"] == 2)
                let invalid = try #require(failures.first(where: { $0["errorCode"] == "SCHEMA_VALIDATION_FAILED" }))
                let detail = try await client.send(.get, "/api/v1/runs/\(invalid["runId"]?.stringValue ?? "")", auth: .session(admin))
                #expect(detail.json["data"]?["errors"]?.arrayItems.first?["message"]?.stringValue?.hasPrefix("assets[0].normalized.network.ip_addresses") == true)
                // Nothing of a failed collect reached the ledger.
                #expect(try await Ledger.count(harness.services, "SELECT COUNT(*) AS n FROM assets") == 0)
            }
        }
    }

    /// Stdout with log lines before the document still works: the last top-level object with a schema_version.
    @Test func recoversTheDocumentAfterLogLines() async throws {
        try await Harness.with(.sqlite) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let sourceId = try await Ledger.createSource(
                    client, admin, config: Ledger.execConfig(#""scenario":"log_prefix","clusters":["c-1"]"#))
                let detail = try await Ledger.withRunner(harness.services) {
                    try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                }
                #expect(detail["status"] == "Succeeded", "\(detail)")
            }
        }
    }

    /// Cancel reaches the collector: it and its child are killed and the run ends Cancelled within seconds.
    @Test(arguments: Backends.all)
    func cancelKillsTheCollectorAndItsChild(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-pid-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: pidFile) }
                let sourceId = try await Ledger.createSource(
                    client, admin, config: Ledger.execConfig(#""scenario":"sleep","pid_file":"\#(pidFile)""#))
                try await Ledger.withRunner(harness.services) {
                    let runId = try await Ledger.trigger(client, admin, sourceId)
                    #expect(try await waitUntil { (try? String(contentsOfFile: pidFile, encoding: .utf8))?.contains(" ") == true })
                    let pids = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: " ").compactMap { Int32($0) }
                    #expect(pids.count == 2 && pids.allSatisfy(processAlive))
                    let running = try await client.send(.get, "/api/v1/runs/\(runId)", auth: .session(admin))
                    #expect(running.json["data"]?["status"] == "Running")
                    let started = ContinuousClock.now
                    let cancel = try await client.send(.post, "/api/v1/runs/\(runId)/cancel", auth: .session(admin))
                    #expect(cancel.status == .ok)
                    let detail = try await Ledger.finished(client, admin, runId, timeout: .seconds(30))
                    #expect(detail["status"] == "Cancelled", "\(detail)")
                    // ~0.1 s alone; generous because the whole suite shares 2 cores (and this host other builds).
                    #expect(ContinuousClock.now - started < .seconds(20))
                    #expect(try await waitUntil(timeout: .seconds(5)) { !pids.contains(where: processAlive) })
                    let again = try await client.send(.post, "/api/v1/runs/\(runId)/cancel", auth: .session(admin))
                    #expect(again.status == .conflict)
                    // The source is free for the next run.
                    #expect(try await client.send(.delete, "/api/v1/sources/\(sourceId)", auth: .session(admin)).status == .noContent)
                }
            }
        }
    }

    /// A run whose worker died (the process crashed mid-run) ends Failed after a restart, never stuck Running.
    @Test(arguments: Backends.all)
    func workerDeathFailsTheRunAfterRestart(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let feature = Ledger.feature(services)
            let trigger = try await feature.runs.trigger(
                sourceId: try await harness.test { client in try await Ledger.createSource(client, try await client.adminSession()) },
                mode: "collect", triggerType: "manual")
            guard case .queued(let run) = trigger else { throw HarnessError("not queued") }
            // A worker claims the job, marks the run Running, and dies (its lease is never renewed).
            let claimed = try await services.jobs.claim(owner: "dead-worker", kinds: [AssetLedgerJobs.run], limit: 1, leaseMillis: 1000)
            #expect(claimed.count == 1)
            #expect(try await feature.runStore.markRunning(run.runId, now: services.clock.millis()))
            harness.clock.advance(by: 60)

            let restarted = try await replica(of: harness)
            await restarted.runner.recoverAbandoned()
            let after = try #require(try await Ledger.feature(restarted).runStore.get(run.runId))
            #expect(after.status == .failed)
            #expect(after.errors.first?["code"] == "RUN_WORKER_LOST")
            #expect(after.finishedAt != nil)
            await restarted.store.close()
        }
    }
}
