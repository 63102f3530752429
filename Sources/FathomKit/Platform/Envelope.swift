import Foundation
import Hummingbird

/// `meta` of every `/api/v1` body.
public struct ResponseMeta: Encodable, Sendable {
    public var requestId: String
    public var timestamp: String
}

/// `{"success": true, "message": …, "data": …, "meta": …}` (`success`/`message` are the capacity/databases
/// reference's keys; asset-ledger clients read `data` and `meta`).
struct DataEnvelope<T: Encodable>: Encodable {
    var success = true
    var message: String
    var data: T
    var meta: ResponseMeta
}

/// Asset-ledger list shape: `{"success": true, "message": …, "data": [...], "pagination": {...}, "meta": …}`.
struct PagedEnvelope<T: Encodable>: Encodable {
    var success = true
    var message: String
    var data: [T]
    var pagination: Pagination
    var meta: ResponseMeta
}

/// Capacity/databases list shape: `data: {items, total, page, limit}`.
public struct ItemsPage<T: Encodable>: Encodable {
    public var items: [T]
    public var total: Int
    public var page: Int
    public var limit: Int

    public init(items: [T], total: Int, page: Int, limit: Int) {
        self.items = items
        self.total = total
        self.page = page
        self.limit = limit
    }
}

/// `pagination` of the asset-ledger list shape.
public struct Pagination: Encodable, Sendable {
    public var page: Int
    public var pageSize: Int
    public var total: Int
    public var totalPages: Int

    public init(page: Int, pageSize: Int, total: Int) {
        self.page = page
        self.pageSize = pageSize
        self.total = total
        self.totalPages = pageSize > 0 ? (total + pageSize - 1) / pageSize : 0
    }
}

/// JSON encoding shared by every response so bodies look the same everywhere.
public enum JSONCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public static func response(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        let bytes = try ResponseJSONEncoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension AppRequestContext {
    var meta: ResponseMeta { ResponseMeta(requestId: requestId, timestamp: Timestamp.iso8601(Date())) }

    /// Wraps `data` in the success envelope; `message` says what happened.
    public func envelope(
        _ data: some Encodable, message: String = "Success", status: HTTPResponse.Status = .ok
    ) throws -> Response {
        try JSONCoding.response(DataEnvelope(message: message, data: data, meta: meta), status: status)
    }

    /// The asset-ledger list shape.
    public func paged<T: Encodable>(_ items: [T], pagination: Pagination, message: String = "Success") throws -> Response {
        try JSONCoding.response(PagedEnvelope(message: message, data: items, pagination: pagination, meta: meta))
    }
}

/// Timestamps as the contracts print them: RFC 3339 UTC with a `Z`.
public enum Timestamp {
    /// UTC to the second: "2026-01-27T12:00:00Z".
    public static func iso8601(_ date: Date) -> String {
        iso8601(millis: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    public static func iso8601(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let date = TextFormat.civil(daysSinceEpoch: days)
        return TextFormat.day(year: date.year, month: date.month, day: date.day) + "T"
            + TextFormat.zeroPadded(secondOfDay / 3600, width: 2) + ":" + TextFormat.zeroPadded(secondOfDay / 60 % 60, width: 2)
            + ":" + TextFormat.zeroPadded(secondOfDay % 60, width: 2) + "Z"
    }
}
