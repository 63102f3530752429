import Foundation

/// A collector compiled into Fathom: it answers a `collector-request-v1` document with a `collector-response-v1`
/// one, exactly as an exec plugin would, so the ledger reads both the same way.
protocol BuiltInCollector: Sendable {
    /// The source type it serves and the prefix of its error codes (`vcenter` → `VCENTER_*`).
    static var sourceType: String { get }
    func respond(to request: CollectorRequest) async -> JSONValue
}

/// The built-in collectors by source type; the run executor uses one when a source names no `config.command`.
enum BuiltInCollectors {
    static let all: [String: any BuiltInCollector] = [
        VCenterCollector.sourceType: VCenterCollector(),
        PVECollector.sourceType: PVECollector(),
    ]

    /// The response document for a request document (`fathom collector TYPE < request.json`, and runs).
    static func respond(type: String, request data: Data) async -> Data {
        let prefix = type.uppercased()
        let document: JSONValue
        if let collector = all[type] {
            if let request = CollectorRequest(data) {
                document = await collector.respond(to: request)
            } else {
                document = CollectorOutcome.failed(
                    CollectorFailure(.configInvalid, "stdin is not a collector-request-v1 document with a known mode"), prefix: prefix)
            }
        } else {
            document = CollectorOutcome.failed(CollectorFailure(.configInvalid, "no built-in collector for source type '\(type)'"), prefix: prefix)
        }
        return Data(CollectorJSON.text(document).utf8)
    }
}

extension BuiltInCollectors {
    /// A run's built-in collection, in process, read back as if a plugin had printed it: the same interpretation and
    /// the same timeout (`PLUGIN_TIMEOUT`) as an exec collector.
    static func run(type: String, request: Data, timeout: Duration) async throws -> CollectorProcess.Output {
        try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask { await respond(type: type, request: request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let stdout = first else { throw CollectorProcess.Failure.timedOut }
            return CollectorProcess.Output(status: 0, stdout: stdout, stderrTail: "")
        }
    }
}

/// `fathom collector TYPE < request.json`: a built-in collector run standalone, exactly as a plugin would be.
public enum BuiltInCollectorCommand {
    public static var types: [String] { BuiltInCollectors.all.keys.sorted() }

    /// The response document, and whether it reports errors (the command then exits non-zero).
    public static func respond(type: String, request: Data) async -> (response: Data, failed: Bool) {
        let response = await BuiltInCollectors.respond(type: type, request: request)
        let failed: Bool = {
            if case .array(let errors)? = (try? CollectorJSON.parse(response))?["errors"] { return !errors.isEmpty }
            return true
        }()
        return (response, failed)
    }
}
