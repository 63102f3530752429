@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// Ingest of successful collects: identity per (source, kind, external id), presence, relation status, and runs
/// that fail changing nothing.
@Suite(.timeLimit(.minutes(10))) struct IngestTests {
    @Test(arguments: Backends.all)
    func movesDisappearancesAndFailedRuns(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            try await harness.test { client in
                let admin = try await client.adminSession()
                func configure(_ sourceId: String, _ inventory: String, _ scenario: String = "ok") async throws {
                    let response = try await client.send(
                        .put, "/api/v1/sources/\(sourceId)", auth: .session(admin),
                        json: #"{"config":\#(Ledger.execConfig(#""scenario":"\#(scenario)",\#(inventory)"#))}"#)
                    #expect(response.status == .ok)
                }
                func collect(_ sourceId: String, mode: String = "collect") async throws -> JSONValue {
                    try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId, mode: mode))
                }
                func relation(_ vm: String, _ host: String) async throws -> String? {
                    try await Ledger.value(services, """
                        SELECT r.status AS v FROM asset_relations r
                        JOIN asset_source_links f ON f.asset_uuid = r.from_asset_uuid AND f.external_id = '\(vm)'
                        JOIN asset_source_links t ON t.asset_uuid = r.to_asset_uuid AND t.external_id = '\(host)'
                        WHERE r.relation_type = 'runs_on'
                        """)
                }
                func presence(_ externalId: String) async throws -> String? {
                    try await Ledger.value(services, "SELECT presence_status AS v FROM asset_source_links WHERE external_id = '\(externalId)'")
                }
                func status(_ externalId: String) async throws -> String? {
                    try await Ledger.value(services, """
                        SELECT a.status AS v FROM assets a JOIN asset_source_links l ON l.asset_uuid = a.asset_uuid
                        WHERE l.external_id = '\(externalId)'
                        """)
                }

                let sourceId = try await Ledger.createSource(client, admin)
                try await Ledger.withRunner(services) {
                    try await configure(sourceId, #""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-1","vm-2":"h-1"}"#)
                    #expect(try await collect(sourceId)["status"] == "Succeeded")
                    let vmUuid = try await Ledger.value(services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = 'vm-1'")
                    #expect(try await relation("vm-1", "h-1") == "active")

                    // vm-1 moves to h-2: the old edge goes inactive, the new one is active, the asset keeps its identity.
                    try await configure(sourceId, #""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-2","vm-2":"h-1"}"#)
                    let moved = try await collect(sourceId)
                    #expect(moved["stats"]?["ingest"]?["relationsInactive"] == 1)
                    #expect(try await relation("vm-1", "h-1") == "inactive")
                    #expect(try await relation("vm-1", "h-2") == "active")
                    #expect(try await Ledger.value(services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = 'vm-1'") == vmUuid)
                    // What the collect saw again carries its run; the edge it did not see keeps the run before.
                    let movedRun = moved["runId"]?.stringValue ?? ""
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_links WHERE last_seen_run_id = '\(movedRun)'") == 5)
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_relations WHERE last_seen_run_id = '\(movedRun)'") == 4)
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_relations WHERE status = 'active'") == 4)
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM assets") == 5)
                    // One record per asset per run; raw payloads once per distinct content.
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_records") == 10)
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_raw_payloads") == 5)

                    // vm-2 disappears: its link is missing and the asset offline; a collect_hosts does not speak for VMs.
                    try await configure(sourceId, #""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-2"}"#)
                    let hostsOnly = try await collect(sourceId, mode: "collect_hosts")
                    #expect(hostsOnly["status"] == "Succeeded")
                    // Only what the mode collected was seen: the cluster, the hosts and their member_of edges.
                    let hostsRun = hostsOnly["runId"]?.stringValue ?? ""
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_links WHERE last_seen_run_id = '\(hostsRun)'") == 3)
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_relations WHERE last_seen_run_id = '\(hostsRun)'") == 2)
                    #expect(try await presence("vm-2") == "present")
                    #expect(try await collect(sourceId)["stats"]?["ingest"]?["linksMissing"] == 1)
                    #expect(try await presence("vm-2") == "missing")
                    #expect(try await status("vm-2") == "offline")
                    #expect(try await status("vm-1") == "in_service")
                    #expect(try await relation("vm-2", "h-1") == "inactive")

                    // A failed run afterwards changes nothing but its own record.
                    let before = try await Self.snapshot(services)
                    try await configure(sourceId, #""clusters":[],"hosts":{},"vms":{}"#, "incomplete")
                    #expect(try await collect(sourceId)["errors"]?.arrayItems.first?["code"] == "INVENTORY_INCOMPLETE")
                    try await configure(sourceId, #""clusters":["c-9"],"hosts":{"h-9":"c-9"},"vms":{"vm-9":"h-9"}"#, "schema_invalid")
                    #expect(try await collect(sourceId)["status"] == "Failed")
                    #expect(try await Self.snapshot(services) == before)

                    // vm-2 comes back: present and in service again, same asset.
                    try await configure(sourceId, #""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-2","vm-2":"h-2"}"#)
                    #expect(try await collect(sourceId)["status"] == "Succeeded")
                    #expect(try await presence("vm-2") == "present")
                    #expect(try await status("vm-2") == "in_service")
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM assets") == 5)

                    // vm-1 moves back: the edge it left is the same relation, active again; the other one inactive.
                    try await configure(sourceId, #""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-1","vm-2":"h-2"}"#)
                    #expect(try await collect(sourceId)["status"] == "Succeeded")
                    #expect(try await relation("vm-1", "h-1") == "active")
                    #expect(try await relation("vm-1", "h-2") == "inactive")
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_relations WHERE relation_type = 'runs_on'") == 4)
                }

                // A soft-deleted source keeps its runs, records, links and relations.
                #expect(try await client.send(.delete, "/api/v1/sources/\(sourceId)", auth: .session(admin)).status == .noContent)
                #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_links WHERE source_id = '\(sourceId)'") == 5)
                #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_records WHERE source_id = '\(sourceId)'") > 0)
                let runs = try await client.send(.get, "/api/v1/runs?sourceId=\(sourceId)&pageSize=100", auth: .session(admin))
                #expect(runs.json["pagination"]?["total"] == 8)
            }
        }
    }

    /// Everything a run may change outside its own record.
    static func snapshot(_ services: AppServices) async throws -> [String] {
        try await services.store.read { db in
            var lines: [String] = []
            for row in try await db.raw("SELECT asset_uuid, status, display_name, updated_at FROM assets ORDER BY asset_uuid").all() {
                lines.append("asset \(try row.decode(column: "asset_uuid", as: String.self)) \(try row.decode(column: "status", as: String.self)) \(try row.decode(column: "updated_at", as: Int64.self))")
            }
            for row in try await db.raw("SELECT link_id, presence_status, last_seen_run_id FROM asset_source_links ORDER BY link_id").all() {
                lines.append("link \(try row.decode(column: "link_id", as: String.self)) \(try row.decode(column: "presence_status", as: String.self)) \(try row.decode(column: "last_seen_run_id", as: String.self))")
            }
            for row in try await db.raw("SELECT relation_id, status, last_seen_run_id FROM asset_relations ORDER BY relation_id").all() {
                lines.append("relation \(try row.decode(column: "relation_id", as: String.self)) \(try row.decode(column: "status", as: String.self)) \(try row.decode(column: "last_seen_run_id", as: String.self))")
            }
            let records = try await db.raw("SELECT COUNT(*) AS n FROM asset_source_records").first()?.decode(column: "n", as: Int.self) ?? 0
            lines.append("records \(records)")
            return lines
        }
    }
}
