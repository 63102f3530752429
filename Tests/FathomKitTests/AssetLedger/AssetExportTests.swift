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
