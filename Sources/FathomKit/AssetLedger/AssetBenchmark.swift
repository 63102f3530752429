import Foundation

/// `fathom bench assets`: fills a store with `assets` assets from `sources` exec sources whose inventories overlap
/// by a tenth (the same machines seen twice: duplicate candidates), each collected through the real run path, then
/// times duplicate detection over all of them. The store is kept, so that scripts/bench-assets.sh can serve it and
/// measure the list, detail and export endpoints.
public enum AssetBenchmark {
    public static func seed(services: AppServices, assets: Int, sources: Int, log: (String) -> Void) async throws {
        let feature = services.features.get(AssetLedgerFeature.self)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-asset-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let perSource = (assets + sources - 1) / sources
        let overlap = perSource / 10
        for index in 0..<sources {
            let generated = try IngestBenchmark.generate(assets: perSource, relations: perSource * 2, first: index * (perSource - overlap))
            let document = directory.appendingPathComponent("collect-\(index).json")
            try generated.data.write(to: document)
            let source = try await feature.sources.create(
                .init(name: "bench-source-\(index + 1)", sourceType: "exec", config: [
                    "command": "/bin/cat", "args": [.string(document.path)], "timeout_ms": 3_600_000,
                ], credential: nil))
            guard case .queued(let run) = try await feature.runs.trigger(sourceId: source.sourceId, mode: "collect", triggerType: "manual")
            else { throw AppError(.configResourceConflict, "the bench source has an active run") }
            let started = ContinuousClock.now
            _ = try await feature.executor.execute(runId: run.runId)
            let ended = try await feature.runs.get(run.runId)
            guard ended.status == .succeeded else {
                throw AppError(.jobFailed, "collect of \(source.name) ended \(ended.status.rawValue): \(ended.errors.first ?? .null)")
            }
            log("source \(index + 1): \(generated.assets) assets collected in \(ContinuousClock.now - started)")
            try? FileManager.default.removeItem(at: document)
        }
        let started = ContinuousClock.now
        let pairs = try await feature.duplicates.detect()
        log("duplicate detection over every asset: \(pairs) candidate pairs in \(ContinuousClock.now - started)")
    }
}
