import SQLKit

/// One page of a `FROM … WHERE …` and the count of everything the filter matches: the two statements every
/// offset-paged list runs, built from the same parts so the total and the page cannot disagree.
struct OffsetPageQuery {
    var columns: SQLQueryString
    var from: SQLQueryString
    var filter: SQLQueryString
    var orderBy: SQLQueryString

    func run<T>(
        on db: any SQLDatabase, limit: Int, offset: Int, decode: (any SQLRow) throws -> T
    ) async throws -> (items: [T], total: Int) {
        let total = try await db.raw("SELECT COUNT(*) AS n FROM \(from) WHERE \(filter)").first()?.int("n") ?? 0
        let rows = try await db.raw(
            "SELECT \(columns) FROM \(from) WHERE \(filter) ORDER BY \(orderBy) LIMIT \(bind: limit) OFFSET \(bind: offset)"
        ).all()
        return (try rows.map(decode), total)
    }
}
