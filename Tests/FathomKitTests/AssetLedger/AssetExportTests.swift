@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// The asset export reads its next batch while writing the current one: across many batches every asset is written
/// once, in order, exactly as one large batch writes it.
@Suite(.timeLimit(.minutes(5))) struct AssetExportTests {
    @Test(arguments: Backends.all)
    func manySmallBatchesWriteWhatOneBatchWrites(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let feature = harness.services.features.get(AssetLedgerFeature.self)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-export-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let document = directory.appendingPathComponent("collect.json")
            let generated = try IngestBenchmark.generate(assets: 60, relations: 80)
            try generated.data.write(to: document)
            let source = try await feature.sources.create(
                .init(name: "export-test", sourceType: "exec", config: ["command": "/bin/cat", "args": [.string(document.path)]],
                      credential: nil))
            guard case .queued(let run) = try await feature.runs.trigger(sourceId: source.sourceId, mode: "collect", triggerType: "manual")
            else { throw HarnessError("the run was not queued") }
            _ = try await feature.executor.execute(runId: run.runId)
            #expect(try await feature.runs.get(run.runId).status == .succeeded)

            let store = AssetStore(store: harness.services.store)
            let whole = try await Self.text(AssetExport(assets: store).body(AssetStore.Filter()))
            let lines = whole.split(separator: "\r\n")
            #expect(lines.count == generated.assets + 1)
            #expect(Set(lines.dropFirst().map { $0.prefix(36) }).count == generated.assets)
            for size in [1, 7, 60] {
                #expect(try await Self.text(AssetExport(assets: store, batchSize: size).body(AssetStore.Filter())) == whole, "batch \(size)")
            }
            // A filter holds across batches too.
            var hosts = AssetStore.Filter()
            hosts.assetType = "host"
            let hostLines = try await Self.text(AssetExport(assets: store, batchSize: 1).body(hosts)).split(separator: "\r\n")
            #expect(hostLines.count > 2 && hostLines.dropFirst().allSatisfy { $0.contains(",host,") })
        }
    }

    /// Rows are put together from one statement per batch: the merge rules hold across sources (arrays are a union,
    /// a conflict goes to the newest record, a tie in time to the larger record id, hand-kept values win whatever
    /// their type), only each link's latest record counts, a link is listed once however many records its latest
    /// run has, and awkward text (quotes, line breaks, formula starts, NUL escapes, non-JSON) comes out as the asset's
    /// detail shows it. Every line equals the one made from the detail's own reads, in every batch size.
    @Test(arguments: Backends.all)
    func rowsMergeSourcesAsTheDetailDoes(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let feature = harness.services.features.get(AssetLedgerFeature.self)
            var sourceIds: [String] = []
            for name in ["src-one", "src-two"] {
                sourceIds.append(try await feature.sources.create(
                    .init(name: name, sourceType: "exec", config: ["command": "/bin/cat"], credential: nil)).sourceId)
            }
            let (one, two) = (sourceIds[0], sourceIds[1])
            func uuid(_ letter: String) -> String { "00000000-0000-4000-8000-00000000000" + letter }
            let assets: [(String, String, String)] = [
                (uuid("a"), "vm", "in_service"), (uuid("b"), "host", "offline"), (uuid("c"), "vm", "in_service"),
                (uuid("d"), "vm", "in_service"), (uuid("e"), "vm", "merged"),
            ]
            // link id, asset, source, first seen, last seen, latest run
            let links: [(String, String, String, Int64, Int64, String)] = [
                ("lnk_a1", uuid("a"), one, 10, 500, "run_a1"), ("lnk_a2", uuid("a"), two, 20, 700, "run_a2"),
                ("lnk_b1", uuid("b"), one, 5, 100, "run_b1"), ("lnk_b2", uuid("b"), two, 5, 90, "run_b2"),
                ("lnk_c1", uuid("c"), one, 1, 40, "run_none"), ("lnk_c2", uuid("c"), two, 2, 60, "run_c2"),
                ("lnk_c3", uuid("c"), two, 3, 30, "run_c3"), ("lnk_e1", uuid("e"), one, 1, 10, "run_e1"),
            ]
            // record id, link, run, collected at, normalized text
            let records: [(String, String, String, Int64, String)] = [
                ("rec_a1", "lnk_a1", "run_a1", 300, #"""
                    {"identity":{"hostname":"a-new","machine_uuid":"m-1"},"kind":"vm","network":{"ip_addresses":["10.0.0.1","10.0.0.2"]},"os":{"name":"=cmd|' /C calc'!A0"},"version":"normalized-v1"}
                    """#),
                ("rec_a2", "lnk_a2", "run_a2", 200, #"""
                    {"identity":{"hostname":"a-old","serial_number":"S\"1\"\nx"},"network":{"ip_addresses":["10.0.0.2","10.0.0.3"]},"ownership":{"owner_name":"collected","department":"ops"}}
                    """#),
                ("rec_a0", "lnk_a2", "run_a0", 900, #"{"identity":{"hostname":"stale, not the latest run"}}"#),
                ("rec_b1", "lnk_b1", "run_b1", 100, #"""
                    {"identity":{"hostname":"b-one","serial_number":1.50,"machine_uuid":10000000000000000},"network":{"ip_addresses":"10.1.0.1"},"os":{"name":1e2},"runtime":{"power_state":true},"comments":"nul\u0000here","service":{"system_name":["é","e\u0301","é"]}}
                    """#),
                ("rec_b2", "lnk_b2", "run_b2", 100, #"""
                    {"identity":{"hostname":"b-two","hostname":"b-two, last key"},"network":{"ip_addresses":["10.1.0.2",7,"10.1.0.2"]},"os":{"name":null},"runtime":{"power_state":{"x":1}},"service":{"system_name":["ü"]}}
                    """#),
                ("rec_c1", "lnk_c2", "run_c2", 50, #"{"identity":{"hostname":"c-one"},"location":{"city":"+Berlin"}}"#),
                ("rec_c2", "lnk_c2", "run_c2", 60, #"{"identity":{"hostname":"c-two"}}"#),
                ("rec_c3", "lnk_c3", "run_c3", 70, "not json"),
                ("rec_e1", "lnk_e1", "run_e1", 10, #"{"identity":{"hostname":"merged away"}}"#),
            ]
            // asset, dotted path, JSON value
            let manual: [(String, String, String)] = [
                (uuid("a"), "ownership.owner_name", #""Ann, \"the\" owner""#), (uuid("a"), "comments", #""line1\nline2""#),
                (uuid("a"), "location.region", "5"), (uuid("a"), "service.system_name", #"["x","y"]"#),
                (uuid("a"), "physical.fixed_asset_id", #"{"a":1}"#), (uuid("a"), "location.city", #""-1+1""#),
                (uuid("d"), "comments", #""@home""#), (uuid("d"), "location.cabinet", "true"),
            ]
            try await harness.services.store.write { db in
                for (asset, type, status) in assets {
                    try await db.raw(
                        """
                        INSERT INTO assets (asset_uuid, asset_type, display_name, status, created_at, updated_at)
                        VALUES (\(bind: asset), \(bind: type), \(bind: "name " + asset.suffix(1)), \(bind: status), 1, 1)
                        """
                    ).run()
                }
                for (link, asset, source, first, last, run) in links {
                    try await db.raw(
                        """
                        INSERT INTO asset_source_links (link_id, asset_uuid, source_id, external_kind, external_id, presence_status,
                                                        first_seen_at, last_seen_at, last_seen_run_id)
                        VALUES (\(bind: link), \(bind: asset), \(bind: source), 'vm', \(bind: "ext-" + link.suffix(2)), 'present',
                                \(bind: first), \(bind: last), \(bind: run))
                        """
                    ).run()
                }
                for (record, link, run, at, text) in records {
                    let (asset, source) = links.first { $0.0 == link }.map { ($0.1, $0.2) }!
                    try await db.raw(
                        """
                        INSERT INTO asset_source_records (record_id, run_id, source_id, link_id, asset_uuid, external_kind,
                                                          external_id, collected_at, normalized, raw_hash)
                        VALUES (\(bind: record), \(bind: run), \(bind: source), \(bind: link), \(bind: asset), 'vm', 'x', \(bind: at),
                                \(bind: text), 'h')
                        """
                    ).run()
                }
                for (asset, path, value) in manual {
                    try await db.raw(
                        """
                        INSERT INTO asset_ledger_fields (asset_uuid, field_path, value, updated_at, updated_by)
                        VALUES (\(bind: asset), \(bind: path), \(bind: value), 1, 'tester')
                        """
                    ).run()
                }
            }

            let store = AssetStore(store: harness.services.store)
            // The reference: each asset's line made from what its detail reads (links, latest records, hand-kept).
            var expected: [UInt8] = []
            LedgerExport.appendLine(AssetExport.header, to: &expected)
            for letter in ["a", "b", "c", "d"] {
                let detail = try #require(try await store.detail(uuid(letter)))
                // The detail's one statement reads the links as the list's own read does, in the same order.
                let links = try await store.links(of: [uuid(letter)])
                #expect(detail.links.map { [$0.linkId, $0.sourceName, $0.externalId, String($0.lastSeenAt), String($0.sourceDeleted)] }
                    == links.map { [$0.linkId, $0.sourceName, $0.externalId, String($0.lastSeenAt), String($0.sourceDeleted)] })
                LedgerExport.appendLine(AssetExport.cells(AssetStore.ExportItem(
                    assetUuid: detail.asset.assetUuid, assetType: detail.asset.assetType, status: detail.asset.status,
                    displayName: detail.asset.displayName, lastSeenAt: detail.links.map(\.lastSeenAt).max(),
                    sources: detail.links.map { $0.sourceName + ":" + $0.externalId },
                    documents: detail.records.map(\.normalized), manual: detail.manual.mapValues(\.value))), to: &expected)
            }
            let reference = String(decoding: expected, as: UTF8.self)
            for size in [1, 2, 3, 1000] {
                #expect(try await Self.text(AssetExport(assets: store, batchSize: size).body(AssetStore.Filter())) == reference, "batch \(size)")
            }
            // What the rules give, spelled out for the asset with both sources and hand-kept values.
            var first: [UInt8] = []
            LedgerExport.appendLine([
                uuid("a"), "vm", "in_service", "name a", Timestamp.iso8601(millis: 700), "src-one:ext-a1;src-two:ext-a2",
                "a-new", "10.0.0.1;10.0.0.2;10.0.0.3", "m-1", "S\"1\"\nx", "=cmd|' /C calc'!A0", "",
                "ops", "Ann, \"the\" owner", "", "5", "-1+1", "", "", "x;y", "", "", "", "line1\nline2",
            ], to: &first)
            let lines = reference.components(separatedBy: "\r\n")
            #expect(reference.contains(String(decoding: first, as: UTF8.self)))
            #expect(lines.contains { $0.hasPrefix(uuid("b") + ",host,offline,name b,") && $0.contains(#","b-two, last key",10.1.0.2;10.1.0.2,10000000000000000,"#) })
            #expect(lines.contains { $0.hasPrefix(uuid("c") + ",vm,") && $0.contains(",src-one:ext-c1;src-two:ext-c2;src-two:ext-c3,c-two,") })
            #expect(lines.contains { $0.hasPrefix(uuid("d") + ",vm,in_service,name d,,,") && $0.hasSuffix(",true,,,,,,'@home") })
            #expect(!reference.contains(uuid("e")))
        }
    }

    static func text(_ body: ResponseBody) async throws -> String {
        let collected = Collected()
        try await body.write(CollectingWriter(collected: collected))
        return collected.text
    }
}

/// Bytes a response body wrote.
private final class Collected: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ buffer: ByteBuffer) { bytes.withLock { $0 += buffer.readableBytesView } }
    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: Collected
    mutating func write(_ buffer: ByteBuffer) async throws { collected.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
