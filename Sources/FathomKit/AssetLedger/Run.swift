import Foundation

/// One collection run of a source, from trigger to its end.
struct Run: Sendable {
    enum Status: String, Sendable, CaseIterable {
        case queued = "Queued", running = "Running", succeeded = "Succeeded", failed = "Failed", cancelled = "Cancelled"
        var isActive: Bool { self == .queued || self == .running }
    }

    static let modes = ["healthcheck", "detect", "collect", "collect_hosts", "collect_vms"]
    static let triggerTypes = ["manual", "schedule"]

    var runId: String
    var sourceId: String
    var sourceName: String
    var mode: String
    var triggerType: String
    var status: Status
    var jobId: Int64?
    var cancelRequested: Bool
    var detectResult: JSONValue?
    var stats: JSONValue?
    var warnings: [JSONValue]
    /// The first is the primary error of a failed run (the collector's own `errors[0]` when it reported any).
    var errors: [JSONValue]
    /// The end of the collector's stderr with credential values masked.
    var stderrExcerpt: String?
    var createdAt: Int64
    var startedAt: Int64?
    var finishedAt: Int64?

    var durationMs: Int64? {
        guard let startedAt, let finishedAt else { return nil }
        return finishedAt - startedAt
    }
}

/// How a run ended, as recorded on it.
struct RunEnd: Sendable {
    var status: Run.Status
    var stats: JSONValue? = nil
    var detectResult: JSONValue? = nil
    var warnings: [JSONValue] = []
    var errors: [JSONValue] = []
    var stderrExcerpt: String? = nil

    /// A failed run whose primary error is one of Fathom's codes.
    static func failed(_ code: ErrorCode, _ message: String, context: [String: JSONValue]? = nil, stderr: String? = nil) -> RunEnd {
        RunEnd(status: .failed, errors: [RunEnd.error(code, message, context: context)], stderrExcerpt: stderr)
    }

    static func error(_ code: ErrorCode, _ message: String, context: [String: JSONValue]? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "code": .string(code.name), "category": .string(code.category), "message": .string(message),
            "retryable": .bool(code.retryable),
        ]
        if let context { object["redacted_context"] = .object(context) }
        return .object(object)
    }
}

/// A run in lists (§5.1).
struct RunSummaryView: Encodable, Sendable {
    var runId: String
    var sourceId: String
    var sourceName: String
    var mode: String
    var triggerType: String
    var status: String
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    var durationMs: Int64?
    var stats: JSONValue?
    var warningsCount: Int
    var errorsCount: Int
    /// The primary error's code, so a list shows why a run failed without opening it.
    var errorCode: String?

    init(_ run: Run) {
        runId = run.runId
        sourceId = run.sourceId
        sourceName = run.sourceName
        mode = run.mode
        triggerType = run.triggerType
        status = run.status.rawValue
        createdAt = Timestamp.iso8601(millis: run.createdAt)
        startedAt = run.startedAt.map(Timestamp.iso8601(millis:))
        finishedAt = run.finishedAt.map(Timestamp.iso8601(millis:))
        durationMs = run.durationMs
        stats = run.stats
        warningsCount = run.warnings.count
        errorsCount = run.errors.count
        errorCode = run.errors.first?["code"]?.stringValue
    }
}

/// A run's detail (§5.2).
struct RunDetailView: Encodable, Sendable {
    var runId: String
    var sourceId: String
    var sourceName: String
    var mode: String
    var triggerType: String
    var status: String
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    var durationMs: Int64?
    var detectResult: JSONValue?
    var stats: JSONValue?
    var warnings: [JSONValue]
    var errors: [JSONValue]
    var stderrExcerpt: String?
    var cancelRequested: Bool

    init(_ run: Run) {
        runId = run.runId
        sourceId = run.sourceId
        sourceName = run.sourceName
        mode = run.mode
        triggerType = run.triggerType
        status = run.status.rawValue
        createdAt = Timestamp.iso8601(millis: run.createdAt)
        startedAt = run.startedAt.map(Timestamp.iso8601(millis:))
        finishedAt = run.finishedAt.map(Timestamp.iso8601(millis:))
        durationMs = run.durationMs
        detectResult = run.detectResult
        stats = run.stats
        warnings = run.warnings
        errors = run.errors
        stderrExcerpt = run.stderrExcerpt
        cancelRequested = run.cancelRequested
    }
}

/// The answer to a trigger (§4.7): the new run (201), or the active one with a message (200).
struct TriggerView: Encodable, Sendable {
    var runId: String
    var sourceId: String
    var mode: String
    var triggerType: String
    var status: String
    var createdAt: String
    var message: String?

    init(_ run: Run, message: String? = nil) {
        runId = run.runId
        sourceId = run.sourceId
        mode = run.mode
        triggerType = run.triggerType
        status = run.status.rawValue
        createdAt = Timestamp.iso8601(millis: run.createdAt)
        self.message = message
    }
}
