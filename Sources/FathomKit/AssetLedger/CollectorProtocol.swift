import Foundation

/// The wire format of `collector-protocol.md`: the request document, and reading the response out of stdout.
enum CollectorProtocol {
    static let requestVersion = "collector-request-v1"
    static let responseVersion = "collector-response-v1"

    static func request(run: Run, source: Source, credential: [String: String]?, now: Date) throws -> Data {
        let document: JSONValue = [
            "schema_version": .string(requestVersion),
            "source": [
                "source_id": .string(source.sourceId), "source_type": .string(source.sourceType), "config": source.config,
                "credential": credential.map { .object($0.mapValues(JSONValue.string)) } ?? [:],
            ],
            "request": ["run_id": .string(run.runId), "mode": .string(run.mode), "now": .string(Timestamp.iso8601(now))],
        ]
        return try JSONCoding.encoder().encode(document)
    }

    /// The response object in stdout: the whole of it, or else (tried once) the last top-level JSON object in it that
    /// has a `schema_version` — collectors that print log lines before their document still work. Nil if neither.
    static func parse(_ stdout: Data) -> [String: JSONValue]? {
        if let value = try? CollectorJSON.parse(stdout), case .object(let object) = value {
            return object
        }
        return recover(stdout)
    }

    /// Candidates start at a `{` that opens a line and end at the last `}`; the last 50 such starts are tried, newest
    /// first. Bounded so a large garbled output costs a few parses, not one per brace.
    private static func recover(_ stdout: Data) -> [String: JSONValue]? {
        let bytes = [UInt8](stdout)
        guard let end = bytes.lastIndex(of: UInt8(ascii: "}")) else { return nil }
        var starts: [Int] = []
        for index in 0...end where bytes[index] == UInt8(ascii: "{") && (index == 0 || bytes[index - 1] == UInt8(ascii: "\n")) {
            starts.append(index)
        }
        for start in starts.suffix(50).reversed() {
            let slice = Data(bytes[start...end])
            if let value = try? CollectorJSON.parse(slice), case .object(let object) = value,
                object["schema_version"] != nil
            {
                return object
            }
        }
        return nil
    }
}
