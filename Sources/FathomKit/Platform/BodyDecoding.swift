import Foundation
import Hummingbird

/// A JSON request body whose keys are exactly its `CodingKeys`: unknown fields are refused with 400.
public protocol StrictBody: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
}

extension Request {
    /// Reads and decodes a JSON body (≤ 1 MiB) with the error rules of DESIGN.md: malformed JSON, wrong types,
    /// missing or unknown fields and a `csrf_token` field are 400; a non-JSON content type is 415; too big is 413.
    public func decodeJSON<T: StrictBody>(_ type: T.Type) async throws -> T {
        let object = try await jsonObject()
        let allowed = Set(T.CodingKeys.allCases.map(\.stringValue))
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw AppError.invalid(
                unknown.map { FieldIssue(field: $0, issue: "unknown_field", message: "unknown field '\($0)'") })
        }
        do {
            return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(JSONValue.object(object)))
        } catch let error as DecodingError {
            throw AppError.invalid([FieldIssue(error)])
        }
    }

    /// Decodes the body of a route whose body may be left out: nil when there is none (`Content-Length: 0` or absent).
    public func decodeOptionalJSON<T: StrictBody>(_ type: T.Type) async throws -> T? {
        let hasBody = headers[.contentLength].map { $0 != "0" } ?? false
        return hasBody ? try await decodeJSON(type) : nil
    }

    /// The body as a JSON object, with the checks every JSON body gets.
    func jsonObject() async throws -> [String: JSONValue] {
        if let contentType = headers[.contentType],
            !contentType.lowercased().hasPrefix("application/json")
        {
            throw AppError(.unsupportedMediaType)
        }
        let buffer = try await body.collect(upTo: BodyLimits.maxJSONBytes)
        guard buffer.readableBytes > 0 else {
            throw AppError.invalid(field: "body", issue: "required", "a JSON object body is required")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw AppError.invalid(field: "body", issue: "malformed_json", "request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw AppError.invalid(field: "body", issue: "type_mismatch", "request body must be a JSON object")
        }
        if object["csrf_token"] != nil {
            throw AppError(
                .authCSRFInvalid, "csrf_token is not accepted in the body; send it in the X-CSRFToken header")
        }
        return object
    }
}

extension Decoder {
    /// Refuses keys a nested body object does not know (top-level keys are checked by `decodeJSON`): call it
    /// first in the `init(from:)` of a type decoded inside a `StrictBody`.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let allowed = Set(Keys.allCases.map(\.stringValue))
        let unknown = try container(keyedBy: NamedKey.self).allKeys.map(\.stringValue).filter { !allowed.contains($0) }
        guard unknown.isEmpty else {
            let prefix = codingPath.map(\.stringValue).joined(separator: ".")
            throw AppError.invalid(
                unknown.sorted().map { FieldIssue(field: prefix.isEmpty ? $0 : prefix + "." + $0, issue: "unknown_field", message: "unknown field '\($0)'") })
        }
    }
}

extension FieldIssue {
    /// Describes a decoding failure by the field path it happened at.
    init(_ error: DecodingError) {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            let text = all.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(field: path(context.codingPath), issue: "type_mismatch", message: "expected \(Self.name(type))")
        case .valueNotFound(let type, let context):
            self.init(field: path(context.codingPath), issue: "required", message: "expected \(Self.name(type)), got null")
        case .keyNotFound(let key, let context):
            self.init(field: path(context.codingPath, key), issue: "required", message: "'\(key.stringValue)' is required")
        case .dataCorrupted(let context):
            self.init(field: path(context.codingPath), issue: "invalid", message: "invalid value")
        @unknown default:
            self.init(field: "body", issue: "invalid", message: "invalid body")
        }
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        default: return String(describing: type)
        }
    }
}
