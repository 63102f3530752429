@testable import FathomKit
import Foundation
import HummingbirdTesting
import Logging
import SQLKit
import Synchronization

/// Paths and helpers shared by the asset-ledger tests.
enum Ledger {
    /// The sample collector (Python) the tests drive end to end.
    static let collector = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sample_collector.py").path

    /// A config for an exec source running the sample collector.
    static func execConfig(_ extra: String = "") -> String {
        #"{"command":"\#(collector)""# + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    static func feature(_ services: AppServices) -> AssetLedgerFeature { services.features.get(AssetLedgerFeature.self) }

    /// Creates a source through the API; returns its id.
    static func createSource(
        _ client: any TestClientProtocol, _ session: BrowserSession, name: String = "src-\(UUID().uuidString.prefix(6))",
        type: String = "exec", config: String = execConfig(), extra: String = ""
    ) async throws -> String {
        let response = try await client.send(
            .post, "/api/v1/sources", auth: .session(session),
            json: #"{"name":"\#(name)","sourceType":"\#(type)","config":\#(config)\#(extra)}"#)
        guard response.status == .created, let id = response.json["data"]?["sourceId"]?.stringValue else {
            throw HarnessError("source creation failed: \(response.status) \(response.text)")
        }
        return id
    }

    /// Triggers a run through the API; returns its id.
    static func trigger(
        _ client: any TestClientProtocol, _ session: BrowserSession, _ sourceId: String, mode: String = "collect"
    ) async throws -> String {
        let response = try await client.send(
            .post, "/api/v1/sources/\(sourceId)/runs", auth: .session(session), json: #"{"mode":"\#(mode)"}"#)
        guard response.status == .created, let id = response.json["data"]?["runId"]?.stringValue else {
            throw HarnessError("trigger failed: \(response.status) \(response.text)")
        }
        return id
    }

    /// Waits until the run has ended; returns its detail.
    static func finished(
        _ client: any TestClientProtocol, _ session: BrowserSession, _ runId: String, timeout: Duration = .seconds(60)
    ) async throws -> JSONValue {
        var detail: JSONValue = .null
        let ended = try await waitUntil(timeout: timeout) {
            detail = try await client.send(.get, "/api/v1/runs/\(runId)", auth: .session(session)).json["data"] ?? .null
            return ["Succeeded", "Failed", "Cancelled"].contains(detail["status"]?.stringValue ?? "")
        }
        guard ended else { throw HarnessError("run \(runId) did not end: \(detail)") }
        return detail
    }

    /// Runs `body` with the application's own job runner working (the harness's API role has none).
    static func withRunner<T: Sendable>(_ services: AppServices, _ body: () async throws -> T) async throws -> T {
        let loops = services.runner.start()
        do {
            let result = try await body()
            await services.runner.stop(loops)
            return result
        } catch {
            await services.runner.stop(loops)
            throw error
        }
    }

    /// Rows of a table for one source (ingest assertions read the store directly).
    static func count(_ services: AppServices, _ sql: String) async throws -> Int {
        try await services.store.read { db in try await db.raw(SQLQueryString(sql)).first()?.decode(column: "n", as: Int.self) ?? 0 }
    }

    static func value(_ services: AppServices, _ sql: String) async throws -> String? {
        try await services.store.read { db in try await db.raw(SQLQueryString(sql)).first()?.decode(column: "v", as: String?.self) }
    }
}

/// Keeps every log line (message and metadata) so a test can search it for secrets.
final class RecordingLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var all: String { lines.withLock { $0.joined(separator: "\n") } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func logger() -> Logger {
        Logger(label: "recording") { _ in RecordingHandler(logs: self) }
    }

    struct RecordingHandler: LogHandler {
        let logs: RecordingLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            logs.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })")
        }
    }
}
