import Hummingbird

/// The DBaaS API's bodies: resources named by their kind (`{"instance": …, "operation": …}`) and lists
/// `{"<kind>s": […], "next_page_token": "…", "total_count": n}`, built in one place for every resource.
enum DBaaSResponse {
    /// A resource, with the operation that changes it when there is one (202 then, 200 otherwise).
    static func resource(
        _ key: String, _ value: some Encodable, operation: Operation? = nil, also: [String: JSONValue] = [:],
        status: HTTPResponse.Status? = nil
    ) throws -> Response {
        let body = ResourceBody(key: key, value: value, operation: operation.map(OperationView.init), also: also)
        return try JSONCoding.response(body, status: status ?? (operation == nil ? .ok : .accepted))
    }

    /// A page of a list; `next_page_token` is empty only at the end.
    static func list<Item: Encodable & Sendable>(_ key: String, _ page: ListPage<Item>) throws -> Response {
        try JSONCoding.response(ListBody(key: key, items: page.items, nextPageToken: page.nextPageToken, totalCount: page.totalCount))
    }

    /// A whole (small) list in one page.
    static func list<Item: Encodable & Sendable>(_ key: String, _ items: [Item]) throws -> Response {
        try list(key, ListPage(items: items, nextPageToken: "", totalCount: items.count))
    }
}

/// A coding key chosen at run time (the resource's kind).
struct NamedKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct ResourceBody<Value: Encodable>: Encodable {
    var key: String
    var value: Value
    var operation: OperationView?
    var also: [String: JSONValue]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NamedKey.self)
        try container.encode(value, forKey: NamedKey(key))
        if let operation { try container.encode(operation, forKey: NamedKey("operation")) }
        for (name, value) in also.sorted(by: { $0.key < $1.key }) { try container.encode(value, forKey: NamedKey(name)) }
    }
}

private struct ListBody<Item: Encodable>: Encodable {
    var key: String
    var items: [Item]
    var nextPageToken: String
    var totalCount: Int

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NamedKey.self)
        try container.encode(items, forKey: NamedKey(key))
        try container.encode(nextPageToken, forKey: NamedKey("next_page_token"))
        try container.encode(totalCount, forKey: NamedKey("total_count"))
    }
}
