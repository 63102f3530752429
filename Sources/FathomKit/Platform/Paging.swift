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

    /// The asset-ledger convention: `page` + `pageSize`, default 20, at most 100.
    public static func assetLedger(_ uri: URI) -> PageRequest {
        parse(uri, sizeKey: "pageSize", defaultSize: 20, maxSize: 100)
    }
}
