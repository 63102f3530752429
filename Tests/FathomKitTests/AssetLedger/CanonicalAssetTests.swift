@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// Canonical assets (§6): the merged view across sources, hand-kept fields, merge and its refusals, relation chains.
@Suite(.timeLimit(.minutes(10))) struct CanonicalAssetTests {
    /// Pure merge rules: arrays are a union, a differing single value is a conflict won by the newest record.
    @Test func mergeRules() {
        func record(_ source: String, _ at: Int64, _ normalized: JSONValue) -> CanonicalMerge.Record {
            CanonicalMerge.Record(sourceId: source, runId: "run_" + source, recordId: "rec_" + source, collectedAt: at, normalized: normalized)
        }
        let newerIPs: JSONValue = ["10.0.0.2", "10.0.0.9"]
        let olderIPs: JSONValue = ["10.0.0.1", "10.0.0.2"]
        let os: JSONValue = ["name": "linux"]
        let newerDoc: JSONValue = [
            "version": "normalized-v1", "kind": "vm", "identity": ["hostname": "b"], "network": ["ip_addresses": newerIPs], "os": os,
        ]
        let olderDoc: JSONValue = [
            "version": "normalized-v1", "kind": "vm", "identity": ["hostname": "a"], "network": ["ip_addresses": olderIPs], "os": os,
            "comments": "collected",
        ]
        let newer = record("src_b", 2000, newerDoc)
        let older = record("src_a", 1000, olderDoc)
        let manual = ["comments": CanonicalMerge.Manual(value: "by hand", updatedAt: 3000, updatedBy: "admin")]
        let fields = CanonicalMerge.fields([newer, older], manual: manual)
        #expect(fields["network"]?["ip_addresses"]?["value"] == ["10.0.0.2", "10.0.0.9", "10.0.0.1"])
        #expect(fields["network"]?["ip_addresses"]?["sources"]?.arrayItems.count == 2)
        #expect(fields["identity"]?["hostname"]?["value"] == "b")
        #expect(fields["identity"]?["hostname"]?["conflict"] == true)
        #expect(fields["identity"]?["hostname"]?["alternatives"]?.arrayItems.first?["value"] == "a")
        #expect(fields["identity"]?["hostname"]?["alternatives"]?.arrayItems.first?["sources"]?.arrayItems.first?["sourceId"] == "src_a")
        #expect(fields["os"]?["name"]?["conflict"] == false)
        #expect(fields["os"]?["name"]?["sources"]?.arrayItems.count == 2)
        #expect(fields["comments"]?["value"] == "by hand")
        #expect(fields["comments"]?["sources"]?.arrayItems.first?["sourceId"] == "manual")
        #expect(fields["comments"]?["alternatives"]?.arrayItems.first?["value"] == "collected")
        #expect(fields["version"] == nil && fields["kind"] == nil)
        // The export's one-leaf merge gives every leaf the value the whole view gives it.
        for path in [["network", "ip_addresses"], ["identity", "hostname"], ["os", "name"], ["comments"]] {
            var leaf: JSONValue? = fields
            for key in path { leaf = leaf?[key] }
            #expect(CanonicalMerge.value(at: path, [newer, older], manual: manual) == leaf?["value"], "\(path)")
        }
        #expect(CanonicalMerge.value(at: ["os"], [newer, older], manual: manual) == nil)
        #expect(CanonicalMerge.value(at: ["identity", "serial_number"], [newer, older], manual: manual) == nil)
    }

    /// Scoring: trimmed, case-folded values; placeholders identify nothing; the best shared rule scores the pair.
    @Test func duplicateScoringRules() {
        func vm(_ uuid: String?, macs: [String] = [], hostname: String? = nil, ips: [String] = []) -> JSONValue {
            .object([
                "identity": .object(["machine_uuid": uuid.map(JSONValue.string) ?? .null, "hostname": hostname.map(JSONValue.string) ?? .null]),
                "network": .object(["mac_addresses": .array(macs.map(JSONValue.string)), "ip_addresses": .array(ips.map(JSONValue.string))]),
            ])
        }
        func host(serial: String?, bmc: String? = nil) -> JSONValue {
            .object(["identity": .object(["serial_number": serial.map(JSONValue.string) ?? .null]),
                     "network": .object(["bmc_ip": bmc.map(JSONValue.string) ?? .null])])
        }
        let assets: [(uuid: String, kind: String, keys: Set<DuplicateScoring.Key>)] = [
            ("a", "vm", DuplicateScoring.keys(kind: "vm", records: [vm(" ABC-1 ")])),
            ("b", "vm", DuplicateScoring.keys(kind: "vm", records: [vm("abc-1", macs: ["00:50:56:AA"])])),
            ("c", "vm", DuplicateScoring.keys(kind: "vm", records: [vm("00000000-0000-0000-0000-000000000000", macs: ["00:50:56:aa"])])),
            ("d", "vm", DuplicateScoring.keys(kind: "vm", records: [vm("00000000-0000-0000-0000-000000000000", hostname: "web", ips: ["10.1.1.1"])])),
            ("e", "vm", DuplicateScoring.keys(kind: "vm", records: [vm("None", hostname: "WEB ", ips: ["10.1.1.1", "10.9.9.9"])])),
            ("f", "host", DuplicateScoring.keys(kind: "host", records: [host(serial: "000000", bmc: "10.0.0.5")])),
            ("g", "host", DuplicateScoring.keys(kind: "host", records: [host(serial: "000000", bmc: "10.0.0.5")])),
        ]
        let pairs = DuplicateScoring.pairs(assets).map { "\($0.first)\($0.second) \($0.score)" }
        #expect(pairs == ["ab 100", "bc 90", "de 70", "fg 90"])
        #expect(DuplicateScoring.keys(kind: "host", records: [host(serial: " none ")]).isEmpty)
    }

    @Test(arguments: Backends.all)
    func twoSourcesMergeLedgerFieldsAndRelations(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            try await harness.test { client in
                let admin = try await client.adminSession()
                func configure(_ sourceId: String, _ inventory: String) async throws {
                    let response = try await client.send(
                        .put, "/api/v1/sources/\(sourceId)", auth: .session(admin),
                        json: #"{"config":\#(Ledger.execConfig(inventory))}"#)
                    #expect(response.status == .ok)
                }
                func collect(_ sourceId: String) async throws {
                    harness.clock.advance(by: 60)
                    let run = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                    #expect(run["status"] == "Succeeded", "\(run)")
                }
                func get(_ path: String) async throws -> JSONValue {
                    let response = try await client.send(.get, path, auth: .session(admin))
                    #expect(response.status == .ok, "\(path): \(response.text)")
                    return response.json
                }
                func uuid(_ q: String) async throws -> String {
                    let list = try await get("/api/v1/assets?q=\(q)")
                    #expect(list["pagination"]?["total"] == 1, "\(q): \(list)")
                    return list["data"]?.arrayItems.first?["assetUuid"]?.stringValue ?? "none"
                }
                func merge(_ primary: String, _ merged: [String]) async throws -> TestResponse {
                    try await client.send(
                        .post, "/api/v1/assets/\(primary)/merge", auth: .session(admin),
                        json: #"{"mergedAssetUuids":[\#(merged.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
                }
                let vmA = #""vm-1":{"identity":{"hostname":"app-a","caption":"vm-1","machine_uuid":"4211-aa"},"network":{"ip_addresses":["10.0.0.1","10.0.0.2"]},"ownership":{"owner_name":"bob"}}"#
                let configA = #""clusters":["c-1"],"hosts":{"h-1":"c-1"},"vms":{"vm-1":"h-1"},"dangling":{"vm-3":"h-404"},"normalized":{\#(vmA)}"#
                func configB(_ vms: String, hostname: String = "app-b") -> String {
                    #""clusters":["cb-1"],"hosts":{"hb-1":"cb-1"},"vms":{\#(vms)},"normalized":{"vm-b1":{"identity":{"hostname":"\#(hostname)","caption":"vm-b1","machine_uuid":"4211-AA"},"network":{"ip_addresses":["10.0.0.2","10.0.0.9"]}}}"#
                }
                let sourceA = try await Ledger.createSource(client, admin, name: "vcenter-a")
                let sourceB = try await Ledger.createSource(client, admin, name: "vcenter-b")
                try await Ledger.withRunner(services) {
                    try await configure(sourceA, configA)
                    try await configure(sourceB, configB(#""vm-b1":"hb-1""#))
                    try await collect(sourceA)
                    try await collect(sourceB)

                    // List: filters, search over external id and collected IPs, sorting, bad parameters.
                    let vms = try await get("/api/v1/assets?assetType=vm&sortBy=displayName&sortOrder=asc")
                    #expect(vms["pagination"] == ["page": 1, "pageSize": 20, "total": 3, "totalPages": 1])
                    #expect(vms["data"]?.arrayItems.map { $0["displayName"]?.stringValue ?? "" } == ["vm-1", "vm-3", "vm-b1"])
                    #expect(vms["data"]?.arrayItems.first?["sources"]?.arrayItems.first?["sourceName"] == "vcenter-a")
                    #expect(try await get("/api/v1/assets?sourceId=\(sourceB)")["pagination"]?["total"] == 3)
                    #expect(try await get("/api/v1/assets?q=10.0.0.9")["data"]?.arrayItems.first?["displayName"] == "vm-b1")
                    #expect(try await get("/api/v1/assets?pageSize=500")["pagination"]?["pageSize"] == 100)
                    let badSort = try await client.send(.get, "/api/v1/assets?sortBy=name", auth: .session(admin))
                    #expect(badSort.status == .badRequest && badSort.errorCode == "CONFIG_INVALID_REQUEST")
                    let absent = try await client.send(.get, "/api/v1/assets/\(UUID().uuidString.lowercased())", auth: .session(admin))
                    #expect(absent.status == .notFound && absent.errorCode == "CONFIG_ASSET_NOT_FOUND")

                    let vm1 = try await uuid("vm-1")
                    let vmB = try await uuid("vm-b1")
                    let host = try await uuid("h-1")
                    let detail = try await get("/api/v1/assets/\(vm1)")["data"] ?? .null
                    #expect(detail["canonical"]?["version"] == "canonical-v1")
                    #expect(detail["canonical"]?["fields"]?["identity"]?["hostname"]?["value"] == "app-a")
                    #expect(detail["canonical"]?["fields"]?["identity"]?["hostname"]?["sources"]?.arrayItems.first?["sourceId"]?.stringValue == sourceA)
                    #expect(detail["canonical"]?["relations"]?["outgoing"]?.arrayItems.first?["to"]?["assetUuid"]?.stringValue == host)
                    #expect(detail["sourceLinks"]?.arrayItems.first?["presenceStatus"] == "present")

                    // The chain vm → host → cluster; a reported edge whose target was never collected is explained.
                    let chain = try await get("/api/v1/assets/\(vm1)/relations")["data"] ?? .null
                    let edge = chain["outgoing"]?.arrayItems.first
                    #expect(edge?["type"] == "runs_on" && edge?["status"] == "active" && edge?["to"]?["displayName"] == "h-1")
                    #expect(edge?["to"]?["outgoing"]?.arrayItems.first?["to"]?["displayName"] == "c-1")
                    #expect(chain["missing"] == [])
                    let dangling = try await get("/api/v1/assets/\(try await uuid("vm-3"))/relations")["data"] ?? .null
                    #expect(dangling["missing"]?.arrayItems.first?["reason"] == "target_not_collected")
                    #expect(dangling["missing"]?.arrayItems.first?["target"]?["externalId"] == "h-404")

                    // Hand-kept fields win (source manual), with the collected value as an alternative.
                    let put = try await client.send(
                        .put, "/api/v1/assets/\(vm1)/ledger-fields", auth: .session(admin),
                        json: #"{"ownership":{"owner_name":"alice"},"comments":"rack 4"}"#)
                    #expect(put.status == .ok, "\(put.text)")
                    let owner = put.json["data"]?["canonical"]?["fields"]?["ownership"]?["owner_name"]
                    #expect(owner?["value"] == "alice" && owner?["sources"]?.arrayItems.first?["sourceId"] == "manual")
                    #expect(owner?["alternatives"]?.arrayItems.first?["value"] == "bob")
                    let unknownKey = try await client.send(
                        .put, "/api/v1/assets/\(vm1)/ledger-fields", auth: .session(admin), json: #"{"ownership":{"shoe_size":"9"}}"#)
                    #expect(unknownKey.status == .badRequest && unknownKey.errorCode == "CONFIG_LEDGER_FIELD_KEY_INVALID")
                    let wrongType = try await client.send(
                        .put, "/api/v1/assets/\(vm1)/ledger-fields", auth: .session(admin), json: #"{"comments":5}"#)
                    #expect(wrongType.status == .badRequest && wrongType.errorCode == "CONFIG_INVALID_REQUEST")
                    let many = (0...100).map { #""u\#($0)""# }.joined(separator: ",")
                    let tooMany = try await client.send(
                        .post, "/api/v1/assets/ledger-fields/bulk", auth: .session(admin),
                        json: #"{"assetUuids":[\#(many)],"fields":{"comments":"x"}}"#)
                    #expect(tooMany.status == .badRequest && tooMany.errorCode == "CONFIG_LEDGER_FIELD_LIMIT_EXCEEDED")
                    let bulkUnknown = try await client.send(
                        .post, "/api/v1/assets/ledger-fields/bulk", auth: .session(admin),
                        json: #"{"assetUuids":["\#(host)","nope"],"fields":{"location":{"cabinet":"A1"}}}"#)
                    #expect(bulkUnknown.status == .notFound)
                    let bulk = try await client.send(
                        .post, "/api/v1/assets/ledger-fields/bulk", auth: .session(admin),
                        json: #"{"assetUuids":["\#(host)","\#(vmB)"],"fields":{"location":{"cabinet":"A1"}}}"#)
                    #expect(bulk.status == .ok && bulk.json["data"]?["updated"] == 2)

                    // Detection after the collects: the same machine_uuid (case-folded) is a 100-point, high candidate;
                    // the two hosts share only a management IP (70, medium), which a person ignores.
                    var candidates: JSONValue = .null
                    let detected = try await waitUntil(timeout: .seconds(30)) {
                        candidates = try await get("/api/v1/duplicate-candidates")
                        return candidates["pagination"]?["total"] == 2
                    }
                    #expect(detected, "\(candidates)")
                    let vmPair = candidates["data"]?.arrayItems.first
                    #expect(vmPair?["score"] == 100 && vmPair?["level"] == "high" && vmPair?["assetType"] == "vm")
                    #expect(Set(vmPair?["assets"]?.arrayItems.compactMap { $0["assetUuid"]?.stringValue } ?? []) == [vm1, vmB])
                    let hostPair = candidates["data"]?.arrayItems.last
                    #expect(hostPair?["score"] == 70 && hostPair?["level"] == "medium")
                    let ignored = try await client.send(
                        .post, "/api/v1/duplicate-candidates/\(hostPair?["candidateId"]?.stringValue ?? "")/ignore", auth: .session(admin))
                    #expect(ignored.status == .ok && ignored.json["data"]?["status"] == "ignored")
                    #expect(try await get("/api/v1/duplicate-candidates?level=high")["pagination"]?["total"] == 1)
                    let noCandidate = try await client.send(.post, "/api/v1/duplicate-candidates/dup_nope/ignore", auth: .session(admin))
                    #expect(noCandidate.status == .notFound && noCandidate.errorCode == "CONFIG_DUPLICATE_CANDIDATE_NOT_FOUND")

                    // The merge rules' refusals change nothing.
                    #expect(try await merge(vm1, [vmB]).errorCode == "CONFIG_ASSET_MERGE_VM_REQUIRES_OFFLINE")
                    #expect(try await merge(vm1, [host]).errorCode == "CONFIG_ASSET_MERGE_ASSET_TYPE_MISMATCH")
                    #expect(try await merge(vm1, [vm1]).errorCode == "CONFIG_ASSET_MERGE_CYCLE_DETECTED")
                    #expect(try await merge(vm1, ["nope"]).status == .notFound)

                    // Source B stops reporting its VM (offline), then a person merges it into source A's. The list's
                    // total, counted before the collect, follows it.
                    let inServiceBefore = try await get("/api/v1/assets?status=in_service")["pagination"]?["total"]?.intValue ?? 0
                    try await configure(sourceB, configB(""))
                    try await collect(sourceB)
                    #expect(try await get("/api/v1/assets?status=in_service")["pagination"]?["total"]?.intValue == inServiceBefore - 1)
                    #expect(try await get("/api/v1/assets?status=offline")["pagination"]?["total"] == 1)
                    harness.clock.advance(by: 60)
                    let merged = try await merge(vm1, [vmB])
                    #expect(merged.status == .ok, "\(merged.text)")
                    let primary = merged.json["data"] ?? .null
                    #expect(primary["sourceLinks"]?.arrayItems.count == 2)
                    let ips = primary["canonical"]?["fields"]?["network"]?["ip_addresses"]?["value"]?.arrayItems.compactMap(\.stringValue)
                    #expect(Set(ips ?? []) == ["10.0.0.1", "10.0.0.2", "10.0.0.9"] && ips?.count == 3)
                    let hostname = primary["canonical"]?["fields"]?["identity"]?["hostname"]
                    #expect(hostname?["conflict"] == true && hostname?["value"] == "app-b")
                    #expect(hostname?["alternatives"]?.arrayItems.first?["value"] == "app-a")
                    #expect(primary["canonical"]?["fields"]?["location"]?["cabinet"]?["value"] == "A1")
                    let gone = try await get("/api/v1/assets/\(vmB)")["data"] ?? .null
                    #expect(gone["status"] == "merged" && gone["mergedInto"]?.stringValue == vm1)
                    #expect(try await merge(vmB, [vm1]).errorCode == "CONFIG_ASSET_MERGE_CYCLE_DETECTED")
                    #expect(try await get("/api/v1/assets?assetType=vm")["pagination"]?["total"] == 2)
                    // The merged asset is still found by name when merged assets are asked for.
                    let mergedFound = try await get("/api/v1/assets?status=merged&q=VM-B1")
                    #expect(mergedFound["pagination"]?["total"] == 1 && mergedFound["data"]?.arrayItems.first?["assetUuid"]?.stringValue == vmB)
                    #expect(try await get("/api/v1/duplicate-candidates?status=merged")["pagination"]?["total"] == 1)
                    #expect(try await get("/api/v1/duplicate-candidates?status=ignored")["pagination"]?["total"] == 1)

                    // Later collects of either source land on the primary; hand-kept fields survive them.
                    try await configure(sourceB, configB(#""vm-b1":"hb-1""#, hostname: "app-b2"))
                    try await collect(sourceB)
                    try await collect(sourceA)
                    let after = try await get("/api/v1/assets/\(vm1)")["data"] ?? .null
                    #expect(after["status"] == "in_service")
                    #expect(after["sourceLinks"]?.arrayItems.allSatisfy { $0["presenceStatus"] == "present" } == true)
                    let latest = after["canonical"]?["fields"]?["identity"]?["hostname"]
                    #expect(latest?["value"] == "app-a" && latest?["alternatives"]?.arrayItems.first?["value"] == "app-b2")
                    #expect(after["canonical"]?["fields"]?["ownership"]?["owner_name"]?["value"] == "alice")
                    #expect(after["canonical"]?["fields"]?["comments"]?["value"] == "rack 4")
                    let records = try await get("/api/v1/assets/\(vm1)/source-records?sourceId=\(sourceB)")
                    #expect(records["pagination"]?["total"] == 2)
                    #expect(records["data"]?.arrayItems.first?["normalized"]?["identity"]?["hostname"] == "app-b2")
                    #expect(try await get("/api/v1/assets?assetType=vm")["pagination"]?["total"] == 2)
                    // The search follows the collected values: B's new hostname finds the primary.
                    let renamed = try await get("/api/v1/assets?q=APP-B2")
                    #expect(renamed["pagination"]?["total"] == 1 && renamed["data"]?.arrayItems.first?["assetUuid"]?.stringValue == vm1)

                    // History: B's field change between its two records, the merge and the hand edit, newest first.
                    let history = try await get("/api/v1/assets/\(vm1)/history?pageSize=100")["data"]?.arrayItems ?? []
                    let change = history.first { $0["type"] == "record_changed" && $0["sourceId"]?.stringValue == sourceB }
                    #expect(change?["changes"]?.arrayItems.contains {
                        $0["field"] == "identity.hostname" && $0["from"] == "app-b" && $0["to"] == "app-b2"
                    } == true, "\(history)")
                    let types = history.compactMap { $0["type"]?.stringValue }
                    #expect(types.contains("merged") && types.contains("ledger_fields_changed"))
                    #expect(types.firstIndex(of: "record_changed")! < types.firstIndex(of: "merged")!)
                    let mergedHistory = try await get("/api/v1/assets/\(vmB)/history")["data"]?.arrayItems ?? []
                    #expect(mergedHistory.contains { $0["type"] == "status_changed" && $0["details"]?["to"] == "offline" })
                    #expect(mergedHistory.first?["type"] == "merged_into")

                    // A stops reporting vm-1's edge (and reports one to an uncollected host): the old edge is inactive,
                    // the merged-in edge from B stays active, and A's absence is explained.
                    try await configure(sourceA, #""clusters":["c-1"],"hosts":{"h-1":"c-1"},"dangling":{"vm-1":"h-404"},"normalized":{\#(vmA)}"#)
                    try await collect(sourceA)
                    let moved = try await get("/api/v1/assets/\(vm1)/relations")["data"] ?? .null
                    let edges = moved["outgoing"]?.arrayItems ?? []
                    #expect(edges.contains { $0["sourceId"]?.stringValue == sourceA && $0["status"] == "inactive" })
                    #expect(edges.contains { $0["sourceId"]?.stringValue == sourceB && $0["status"] == "active" && $0["to"]?["displayName"] == "hb-1" })
                    let reasons = moved["missing"]?.arrayItems ?? []
                    #expect(reasons.count == 1 && reasons.first?["sourceId"]?.stringValue == sourceA)
                    #expect(reasons.first?["reason"] == "target_not_collected")
                    // The detail's canonical relations are the active edges only.
                    let detailEdges = try await get("/api/v1/assets/\(vm1)")["data"]?["canonical"]?["relations"]?["outgoing"]?.arrayItems ?? []
                    #expect(detailEdges.count == 1 && detailEdges.first?["sourceId"]?.stringValue == sourceB, "\(detailEdges)")
                }
                // Without a runner a triggered run stays Queued: a second trigger is suppressed, then it is cancelled.
                let queued = try await Ledger.trigger(client, admin, sourceA)
                #expect(try await client.send(.post, "/api/v1/sources/\(sourceA)/runs", auth: .session(admin), json: #"{"mode":"collect"}"#).status == .ok)
                #expect(try await client.send(.post, "/api/v1/runs/\(queued)/cancel", auth: .session(admin)).status == .ok)
                #expect(try await client.send(.put, "/api/v1/sources/\(sourceB)/credential", auth: .session(admin), json: #"{"username":"u","password":"p"}"#).status == .ok)

                // Export: the list's filter as CSV, hand-kept values included, formula-looking text defused.
                let vm3 = try await uuid("vm-3")
                let vm1 = try await uuid("vm-1")
                #expect(try await client.send(.put, "/api/v1/assets/\(vm3)/ledger-fields", auth: .session(admin), json: #"{"comments":"=1+1"}"#).status == .ok)
                let auditBefore = try await get("/api/v1/audit-events")["pagination"]?["total"]?.intValue ?? -1
                let csv = try await client.send(.get, "/api/v1/assets/exports?assetType=vm", auth: .session(admin))
                #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = csv.text.split(separator: "\r\n").map(String.init)
                #expect(lines.count == 3 && lines.first?.hasPrefix("asset_uuid,asset_type,status") == true, "\(csv.text)")
                #expect(lines.contains { $0.hasPrefix(vm3) && $0.hasSuffix(",'=1+1") })
                #expect(lines.contains { $0.hasPrefix(vm1) && $0.contains("alice") && $0.contains("rack 4") })
                // Merged values: the union of both sources' addresses, the latest run's hostname.
                #expect(lines.contains { $0.hasPrefix(vm1) && $0.contains(",app-a,10.0.0.1;10.0.0.2;10.0.0.9,") }, "\(csv.text)")
                #expect(try await client.send(.get, "/api/v1/assets/exports?status=bogus", auth: .session(admin)).status == .badRequest)

                // Audit: every change above has an entry, reads add none, and only admins read it.
                for path in ["/api/v1/assets", "/api/v1/assets/\(vm3)", "/api/v1/assets/\(vm3)/relations", "/api/v1/duplicate-candidates"] {
                    _ = try await get(path)
                }
                let audit = try await get("/api/v1/audit-events?pageSize=100")
                #expect(audit["pagination"]?["total"]?.intValue == auditBefore + 1)
                let auditTypes = Set(audit["data"]?.arrayItems.compactMap { $0["type"]?.stringValue } ?? [])
                #expect(auditTypes.isSuperset(of: [
                    "source.created", "source.updated", "source.credential_updated", "run.triggered", "run.trigger_suppressed",
                    "run.cancelled", "asset.ledger_fields_updated", "asset.merged", "asset.exported",
                ]), "\(auditTypes)")
                #expect(audit["data"]?.arrayItems.first?["type"] == "asset.exported")
                #expect(try await get("/api/v1/audit-events?type=asset.merged&actor=admin")["pagination"]?["total"] == 1)
                #expect(try await get("/api/v1/audit-events?target=\(sourceB)")["pagination"]?["total"]?.intValue ?? 0 >= 3)
                #expect(try await client.send(.get, "/api/v1/audit-events?since=yesterday", auth: .session(admin)).status == .badRequest)

                // Deleting source B keeps its link and edge, and the chain says why they are no longer current.
                #expect(try await client.send(.delete, "/api/v1/sources/\(sourceB)", auth: .session(admin)).status == .noContent)
                let afterDelete = try await get("/api/v1/assets/\(vm1)/relations")["data"]?["missing"]?.arrayItems ?? []
                #expect(afterDelete.contains { $0["sourceId"]?.stringValue == sourceB && $0["reason"] == "source_deleted" })
                #expect(try await get("/api/v1/audit-events?type=source.deleted")["pagination"]?["total"] == 1)

                // A viewer reads but cannot edit or merge.
                _ = try await harness.createUser("viewer1", role: .viewer)
                let viewer = try await client.login("viewer1", "password-123")
                #expect(try await client.send(.get, "/api/v1/assets/\(vm1)", auth: .session(viewer)).status == .ok)
                #expect(try await client.send(.put, "/api/v1/assets/\(vm1)/ledger-fields", auth: .session(viewer), json: #"{"comments":"x"}"#).status == .forbidden)
                #expect(try await client.send(.get, "/api/v1/audit-events", auth: .session(viewer)).status == .forbidden)
                #expect(try await client.send(.post, "/api/v1/assets/\(vm1)/merge", auth: .session(viewer), json: #"{"mergedAssetUuids":["x"]}"#).status == .forbidden)
            }
        }
    }
}
