import Foundation

/// `fathom bench vcenter`: a `vcenter` source on a live endpoint (the simulator in `scripts/bench-vcenter.sh`)
/// collected twice through the real run path — built-in collector, interpretation, ingest — the second time with
/// nothing changed. The collector runs in this process, so the peak RSS bounds the collector's too.
public enum VCenterBenchmark {
    public struct Figures: Sendable {
        public var assets: Int64
        public var relations: Int64
        public var firstRun: Duration
        public var repeatRun: Duration
        public var peakRSSBytes: Int64
    }

    public static func run(
        services: AppServices, endpoint: String, username: String, password: String, pageSize: Int, log: (String) -> Void
    ) async throws -> Figures {
        let feature = services.features.get(AssetLedgerFeature.self)
        let source = try await feature.sources.create(
            .init(name: "bench-vcenter-\(UUID().uuidString.prefix(8))", sourceType: VCenterCollector.sourceType, config: [
                "endpoint": .string(endpoint), "page_size": .int(Int64(pageSize)), "timeout_ms": 600_000,
            ], credential: ["username": .string(username), "password": .string(password)]))
        var durations: [Duration] = []
        var stats: JSONValue = .null
        for attempt in 1...2 {
            guard case .queued(let run) = try await feature.runs.trigger(sourceId: source.sourceId, mode: "collect", triggerType: "manual")
            else { throw AppError(.configResourceConflict, "the bench source has an active run") }
            let started = ContinuousClock.now
            _ = try await feature.executor.execute(runId: run.runId)
            let elapsed = ContinuousClock.now - started
            let ended = try await feature.runs.get(run.runId)
            guard ended.status == .succeeded else {
                throw AppError(.jobFailed, "bench run \(attempt) ended \(ended.status.rawValue): \(ended.errors.first ?? .null)")
            }
            durations.append(elapsed)
            stats = ended.stats ?? .null
            log("run \(attempt): \(elapsed) (\(stats))")
        }
        return Figures(
            assets: stats["assets"]?.intValue ?? 0, relations: stats["relations"]?.intValue ?? 0,
            firstRun: durations[0], repeatRun: durations[1], peakRSSBytes: IngestBenchmark.peakRSS())
    }
}
