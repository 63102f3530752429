import SQLKit

/// One cursor page of a `FROM … WHERE …` (one row more than the page, to tell whether there is a next one) and
/// the count of everything the filter matches, from the same parts.
struct CursorPageQuery {
    var columns: String
    var from: SQLQueryString
    var filter: [SQLQueryString]
    var idColumn: String

    func run<T>(
        on db: any SQLDatabase, page: CursorPage, sort: SortOrder, decode: (any SQLRow) throws -> T
    ) async throws -> (rows: [T], total: Int) {
        let total = try await db.raw(
            "SELECT COUNT(*) AS n FROM \(from) WHERE \(filter.joined(separator: " AND "))"
        ).first()?.int("n") ?? 0
        let conditions = filter + (page.condition(sort, idColumn: idColumn).map { [$0] } ?? [])
        let rows = try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM \(from) WHERE \(conditions.joined(separator: " AND "))
            \(page.orderBy(sort, idColumn: idColumn)) LIMIT \(bind: page.pageSize + 1)
            """
        ).all()
        return (try rows.map(decode), total)
    }
}
