import Hummingbird
import HummingbirdCore

/// Page-number paging for `/api/v1`: invalid values fall back to the default, values over the maximum are clamped.
public struct PageRequest: Sendable, Equatable {
    public var page: Int
    public var size: Int
    public var offset: Int { (page - 1) * size }

    /// Reads `page` and the size parameter (`limit` or `pageSize`, as each contract names it).
    public static func parse(
        _ uri: URI, sizeKey: String, defaultSize: Int, maxSize: Int
    ) -> PageRequest {
        let query = uri.queryParameters
        let page = query["page"].flatMap { Int(String($0)) }.flatMap { $0 >= 1 ? $0 : nil } ?? 1
        let requested = query[Substring(sizeKey)].flatMap { Int(String($0)) }.flatMap { $0 >= 1 ? $0 : nil }
        return PageRequest(page: min(page, 1_000_000), size: min(requested ?? defaultSize, maxSize))
    }

    /// The capacity/databases convention: `page` + `limit` only — an `offset` is refused (400) rather than ignored,
    /// so a client paging by offset learns it at once instead of reading page 1 forever.
    public static func pageLimit(_ uri: URI, defaultSize: Int, maxSize: Int) throws -> PageRequest {
        if uri.queryParameters["offset"] != nil {
            throw AppError.invalid(field: "offset", issue: "unsupported", "paging is page/limit only; offset is not supported")
        }
        return parse(uri, sizeKey: "limit", defaultSize: defaultSize, maxSize: maxSize)
    }

    /// The asset-ledger convention: `page` + `pageSize`, default 20, at most 100.
    public static func assetLedger(_ uri: URI) -> PageRequest {
        parse(uri, sizeKey: "pageSize", defaultSize: 20, maxSize: 100)
    }
}
