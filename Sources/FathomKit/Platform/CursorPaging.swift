import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import SQLKit

/// How a DBaaS list is sorted: one field plus the id as tie-breaker, ascending or descending.
public struct SortOrder: Sendable, Equatable {
    public var field: String
    public var column: String
    public var descending: Bool

    /// Parses `sort=-created_at`; fields map to columns; unknown fields are a 400.
    public static func parse(_ text: String?, columns: [String: String], default defaultSort: String) throws -> SortOrder {
        let raw = (text?.isEmpty == false ? text! : defaultSort).trimmingCharacters(in: .whitespaces)
        let descending = raw.hasPrefix("-")
        let field = String(raw.drop { $0 == "-" || $0 == "+" })
        guard let column = columns[field] else {
            throw AppError.invalid(
                field: "sort", issue: "unknown_field",
                "unknown sort field '\(field)'; allowed: \(columns.keys.sorted().joined(separator: ", "))")
        }
        return SortOrder(field: field, column: column, descending: descending)
    }

    var text: String { (descending ? "-" : "") + field }
}

/// Where the previous page ended: the last row's sort value and id.
struct Cursor: Codable, Sendable {
    var value: JSONValue
    var id: String
}

/// Cursor paging for `/v1` lists: `page_size` (default 20, clamped to 1…100) and an opaque `page_token` that is
/// signed, bound to the list's scope, filter and sort, and expires.
public struct CursorPage: Sendable {
    public var pageSize: Int
    var after: Cursor?
    let binding: String

    static let defaultSize = 20
    static let maxSize = 100
    static let lifetime: TimeInterval = 3600

    /// The query parameters of every cursor-paged list, as route declarations list them.
    static let queryParameters: [(String, JSONValue)] = [
        ("page_size", Schemas.integer), ("page_token", Schemas.string), ("filter", Schemas.string), ("sort", Schemas.string),
    ]

    /// Reads `page_size` and `page_token`. `scope` names the list (e.g. "instances:proj-1").
    static func parse(
        _ uri: URI, scope: String, filter: String?, sort: SortOrder, signer: PageTokenSigner, now: Date
    ) throws -> CursorPage {
        let query = uri.queryParameters
        var size = defaultSize
        if let raw = query["page_size"].map(String.init), let value = Int(raw) {
            size = min(max(value, 1), maxSize)
        }
        let binding = "\(scope)|\(filter ?? "")|\(sort.text)"
        var after: Cursor?
        if let token = query["page_token"].map(String.init), !token.isEmpty {
            after = try signer.open(token, binding: binding, now: now)
        }
        return CursorPage(pageSize: size, after: after, binding: binding)
    }

    /// `(column, id)` strictly after the cursor in the sort direction.
    func condition(_ sort: SortOrder, idColumn: String) -> SQLQueryString? {
        guard let after else { return nil }
        let op = sort.descending ? "<" : ">"
        let value: any Encodable & Sendable
        switch after.value {
        case .int(let number): value = number
        case .string(let text): value = text
        default: value = ""
        }
        return """
            (\(unsafeRaw: sort.column) \(unsafeRaw: op) \(bind: value) OR (\(unsafeRaw: sort.column) = \(bind: value) \
            AND \(unsafeRaw: idColumn) \(unsafeRaw: op) \(bind: after.id)))
            """
    }

    func orderBy(_ sort: SortOrder, idColumn: String) -> SQLQueryString {
        let direction = sort.descending ? "DESC" : "ASC"
        return "ORDER BY \(unsafeRaw: sort.column) \(unsafeRaw: direction), \(unsafeRaw: idColumn) \(unsafeRaw: direction)"
    }

    /// The token for the page after `rows` (empty when this was the last page). Queries fetch `pageSize + 1` rows.
    func nextToken<Row>(_ rows: [Row], signer: PageTokenSigner, now: Date, key: (Row) -> Cursor) -> String {
        guard rows.count > pageSize, let last = rows.prefix(pageSize).last else { return "" }
        return signer.seal(key(last), binding: binding, expires: now.addingTimeInterval(Self.lifetime))
    }
}

/// Signs page tokens with an HMAC key derived from the master secret, so tokens cannot be forged or edited.
public struct PageTokenSigner: @unchecked Sendable {  // SymmetricKey is immutable
    private let key: SymmetricKey

    public init(secrets: SecretBox) {
        key = secrets.derivedKey(purpose: "page-token")
    }

    private struct Payload: Codable {
        var c: Cursor
        var b: String
        var e: Int64
    }

    func seal(_ cursor: Cursor, binding: String, expires: Date) -> String {
        let payload = Payload(c: cursor, b: Secrets.sha256Hex(binding), e: Int64(expires.timeIntervalSince1970))
        let data = (try? JSONEncoder().encode(payload)) ?? Data()
        let mac = Data(HMAC<SHA256>.authenticationCode(for: data, using: key))
        return Self.base64URL(data) + "." + Self.base64URL(mac)
    }

    func open(_ token: String, binding: String, now: Date) throws -> Cursor {
        let invalid = AppError.invalid(field: "page_token", issue: "invalid", "page_token is invalid or expired")
        let parts = token.split(separator: ".")
        guard parts.count == 2, let data = Self.unbase64URL(String(parts[0])), let mac = Self.unbase64URL(String(parts[1])),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key),
            let payload = try? JSONDecoder().decode(Payload.self, from: data)
        else { throw invalid }
        guard payload.b == Secrets.sha256Hex(binding) else {
            throw AppError.invalid(
                field: "page_token", issue: "mismatch", "page_token was issued for a different filter or sort")
        }
        guard payload.e >= Int64(now.timeIntervalSince1970) else { throw invalid }
        return payload.c
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64URL(_ text: String) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }
}
