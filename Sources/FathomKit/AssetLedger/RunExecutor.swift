import Foundation
import Logging

/// Runs one queued run as a durable job: starts its collector, interprets the output, ingests a successful collect
/// and records how the run ended. Every way out ends the run (Succeeded, Failed or Cancelled); none leaves it Running.
struct RunExecutor: Sendable {
    let runs: RunStore
    let sources: SourceStore
    let sourceService: SourceService
    let ingest: IngestStore
    let clock: WallClock
    let logger: Logger

    func execute(runId: String) async throws -> JSONValue? {
        guard let run = try await runs.get(runId) else { return ["skipped": "run not found"] }
        guard try await runs.markRunning(runId, now: clock.millis()) else { return ["skipped": "run no longer queued"] }
        do {
            let end = try await perform(run)
            if end.status == .failed {
                // Only the code: messages may quote collector output.
                logger.info("asset run failed", metadata: ["run_id": .string(runId), "code": .string(end.errors.first?["code"]?.stringValue ?? "")])
            }
            return ["runId": .string(runId), "status": .string(end.status.rawValue)]
        } catch is CancellationError {
            // Cancelled by a person (the run says so), or interrupted by shutdown or the job's own deadline.
            // Read outside this (cancelled) task: reads may refuse to start in a cancelled one.
            let requested = await Task { [runs] in (try? await runs.get(runId))?.cancelRequested ?? false }.value
            let end = requested
                ? RunEnd(status: .cancelled)
                : RunEnd.failed(.runWorkerLost, "The run was interrupted (worker shutdown or job deadline) before it finished")
            _ = try? await runs.finish(runId, end, now: clock.millis())
            throw CancellationError()
        } catch {
            // The store failed while recording (it was reachable a moment ago): still end the run if it can be written.
            _ = try? await runs.finish(runId, .failed(.dbWriteFailed, "The run's outcome could not be recorded"), now: clock.millis())
            throw error
        }
    }

    /// Everything after the run is marked Running; returns the recorded end.
    private func perform(_ run: Run) async throws -> RunEnd {
        guard let source = try await sources.get(run.sourceId, includeDeleted: true) else {
            return try await finish(run, .failed(.configSourceNotFound, "The run's source no longer exists"))
        }
        let credential: [String: String]?
        do {
            credential = try sourceService.openCredential(source)
        } catch {
            return try await finish(run, .failed(.pluginExecFailed, "The source's credential cannot be decrypted with the current secret key"))
        }
        let redactor = Redactor(credential: credential)
        // config.command wins (a plugin may replace a built-in); without it the type's built-in collector runs.
        let command = SourceConfig.command(source.config)
        let ownInstances = source.sourceType == FathomInstancesCollector.sourceType
        guard command != nil || ownInstances || BuiltInCollectors.all[source.sourceType] != nil else {
            return try await finish(run, .failed(.pluginExecFailed,
                "No collector is configured for source type '\(source.sourceType)': set config.command to an exec collector"))
        }
        let timeout = Duration.milliseconds(SourceConfig.timeoutMillis(source.config))
        let process = command.map { command in
            CollectorProcess(
                command: command, arguments: SourceConfig.arguments(source.config), timeout: timeout,
                maxOutputBytes: SourceConfig.maxOutputBytes(source.config),
                // A minimal environment: nothing of Fathom's own (its secret key above all) reaches a plugin.
                environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "FATHOM_RUN_ID": run.runId])
        }
        let output: CollectorProcess.Output
        do {
            let request = try CollectorProtocol.request(run: run, source: source, credential: credential, now: clock.now())
            if let process {
                output = try await process.run(request: request)
            } else if ownInstances {
                // Reads this installation's store, so it runs here rather than among the stateless built-ins.
                output = try await FathomInstancesCollector(store: FathomInstancesStore(store: ingest.store))
                    .run(request: request, timeout: timeout)
            } else {
                output = try await BuiltInCollectors.run(type: source.sourceType, request: request, timeout: timeout)
            }
        } catch let failure as CollectorProcess.Failure {
            switch failure {
            case .cannotStart(let reason):
                return try await finish(run, .failed(.pluginExecFailed, redactor.text("The collector cannot be started: \(reason)")))
            case .timedOut:
                return try await finish(run, .failed(.pluginTimeout,
                    "The collector exceeded its timeout of \(SourceConfig.timeoutMillis(source.config)) ms; its process group was killed"))
            case .outputTooLarge(let limit):
                return try await finish(run, .failed(.pluginOutputTooLarge,
                    "The collector wrote more than \(limit) bytes to stdout (config.max_output_bytes); it was stopped"))
            }
        }
        try Task.checkCancellation()
        switch CollectorResult.interpret(output, mode: run.mode, sourceType: source.sourceType, redactor: redactor) {
        case .finished(let end):
            return try await finish(run, end)
        case .collected(let inventory, let warnings, let stderr):
            return try await store(run, inventory, warnings: warnings, stderr: stderr)
        }
    }

    private func store(_ run: Run, _ inventory: Inventory, warnings: [JSONValue], stderr: String?) async throws -> RunEnd {
        var allWarnings = warnings
        if inventory.duplicateAssets > 0 {
            allWarnings.append(.string("\(inventory.duplicateAssets) assets were reported more than once; the first of each was kept"))
        }
        let counts: JSONValue = [
            "assets": .int(Int64(inventory.assets.count)), "relations": .int(Int64(inventory.relations.count)),
            "inventoryComplete": true,
        ]
        let collected = allWarnings
        let makeEnd: @Sendable (IngestStore.Summary) -> RunEnd = { summary in
            var stats = counts
            if case .object(var object) = stats {
                object["ingest"] = JSONValue.encode(summary)
                stats = .object(object)
            }
            var warnings = collected
            if summary.relationsSkipped > 0 {
                warnings.append(.string("\(summary.relationsSkipped) relations name an asset that was never collected; they were not stored"))
            }
            return RunEnd(status: .succeeded, stats: stats, warnings: warnings, stderrExcerpt: stderr)
        }
        do {
            let summary = try await ingest.ingest(
                runId: run.runId, sourceId: run.sourceId, mode: run.mode, inventory: inventory, now: clock.millis(), end: makeEnd)
            return makeEnd(summary)
        } catch is IngestStore.RunAlreadyEnded {
            // Cancelled while ingesting: the transaction rolled back and the run keeps the end it was given.
            return RunEnd(status: .cancelled)
        } catch {
            logger.error("asset ingest failed", metadata: ["run_id": .string(run.runId), "error_type": .string("\(type(of: error))")])
            return try await finish(run, .failed(.dbWriteFailed, "The ledger could not store the collect; nothing of it was written"))
        }
    }

    private func finish(_ run: Run, _ end: RunEnd) async throws -> RunEnd {
        try await runs.finish(run.runId, end, now: clock.millis())
        return end
    }
}
