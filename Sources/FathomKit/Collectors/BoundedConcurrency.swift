/// Runs `body` over `items` with at most `limit` calls in flight, results in the items' order: how the collectors
/// keep a large inventory from opening hundreds of connections to the server at once.
enum BoundedConcurrency {
    static func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while next < min(max(1, limit), items.count) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count { start() }
            }
            return results.compactMap { $0 }
        }
    }
}
