import Foundation

/// Reads a collector's output the way `collector-protocol.md` says: exit status, `errors`, schema version, schema,
/// completeness — in that order, each failure with its code from the protocol's table.
enum CollectorResult {
    enum Interpretation: Sendable {
        /// The run is over: a failure, or a successful healthcheck/detect.
        case finished(RunEnd)
        /// A successful collect to ingest.
        case collected(Inventory, warnings: [JSONValue], stderr: String?)
    }

    static func interpret(
        _ output: CollectorProcess.Output, mode: String, sourceType: String, redactor: Redactor
    ) -> Interpretation {
        let stderr = redactor.excerpt(output.stderrTail)
        func fail(_ code: ErrorCode, _ message: String, _ context: [String: JSONValue]? = nil) -> Interpretation {
            .finished(.failed(code, redactor.text(message), context: context, stderr: stderr))
        }
        guard let document = CollectorProtocol.parse(output.stdout) else {
            if output.status != 0 {
                return fail(.pluginExitNonzero, "The collector exited with status \(output.status) and no usable output",
                    ["exit_status": .int(Int64(output.status))])
            }
            return fail(.pluginOutputInvalidJSON, "The collector's stdout is not a JSON document",
                ["stdout_excerpt": .string(redactor.text(String(decoding: output.stdout.prefix(300), as: UTF8.self)))])
        }
        let version = document["schema_version"]?.stringValue ?? ""
        guard version == CollectorProtocol.responseVersion else {
            return fail(.pluginSchemaVersionUnsupported,
                "schema_version '\(version.prefix(64))' is not supported (expected \(CollectorProtocol.responseVersion))")
        }
        let response = JSONValue.object(document)
        if case .array(let errors)? = document["errors"], !errors.isEmpty {
            // The collector's own errors, its first one the run's primary error.
            return .finished(RunEnd(status: .failed, errors: errors.map(redactor.json), stderrExcerpt: stderr))
        }
        guard output.status == 0 else {
            return fail(.pluginExitNonzero, "The collector exited with status \(output.status) without reporting errors",
                ["exit_status": .int(Int64(output.status))])
        }
        if let problem = CollectorSchemas.response.violation(response, at: "") {
            return fail(.schemaValidationFailed, "\(problem.path): \(problem.message)", ["path": .string(problem.path)])
        }
        let warnings: [JSONValue] = {
            if case .array(let items)? = document["stats"]?["warnings"] { return items.map(redactor.json) }
            return []
        }()
        switch mode {
        case "healthcheck":
            return .finished(RunEnd(status: .succeeded, warnings: warnings, stderrExcerpt: stderr))
        case "detect":
            let detect = document["detect"]
            let result: JSONValue = [
                "targetVersion": detect?["target_version"] ?? .null, "driver": detect?["driver"] ?? .null,
                "capabilities": detect?["capabilities"] ?? .null,
            ]
            return .finished(RunEnd(status: .succeeded, detectResult: result, warnings: warnings, stderrExcerpt: stderr))
        default:
            break
        }
        guard document["stats"]?["inventory_complete"] == .bool(true) else {
            // The collector's warnings say what is missing (a node that did not answer): kept on the failed run.
            var end = RunEnd.failed(.inventoryIncomplete, "The collect reported inventory_complete other than true", stderr: stderr)
            end.warnings = warnings
            return .finished(end)
        }
        let inventory: Inventory
        switch Inventory.read(document) {
        case .failure(let problem):
            return fail(.schemaValidationFailed, "\(problem.path): \(problem.message)", ["path": .string(problem.path)])
        case .success(let read):
            inventory = read
        }
        if SourceConfig.virtualization.contains(sourceType), !inventory.assets.isEmpty, inventory.relations.isEmpty {
            return fail(.inventoryRelationsEmpty, "The collect returned \(inventory.assets.count) assets but no relations")
        }
        return .collected(inventory, warnings: warnings, stderr: stderr)
    }
}
