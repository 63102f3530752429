import CFathomSQLite

/// A prepared statement a reader keeps for the next time the same SQL comes, with its column names.
final class SQLiteCachedStatement {
    let handle: OpaquePointer
    var lastUse: UInt64 = 0
    private var columns: SQLiteReaderColumns?
    /// SQLite's re-preparation count when `columns` were read. A schema change (by the writer) makes SQLite prepare
    /// the statement again inside `step`, and a `SELECT *` may then have other columns.
    private var columnsPreparedAt: Int32 = -1

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// The names of the columns as SQLite prepared the statement this time; read again only after a re-preparation.
    func currentColumns() -> SQLiteReaderColumns {
        let prepared = sqlite_nio_sqlite3_stmt_status(handle, FATHOM_SQLITE_STMTSTATUS_REPREPARE, 0)
        if let columns, prepared == columnsPreparedAt { return columns }
        let count = sqlite_nio_sqlite3_column_count(handle)
        let names = (0..<count).map { index in
            // Only out of memory gives no name; SQLite's own fallback naming would be "column<N>".
            sqlite_nio_sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "column\(index + 1)"
        }
        let made = SQLiteReaderColumns(names: names)
        (columns, columnsPreparedAt) = (made, prepared)
        return made
    }

    func finalize() {
        sqlite_nio_sqlite3_finalize(handle)
    }
}

/// A reader's prepared statements by SQL text, at most `capacity` of them: when full, the least recently used one is
/// finalized. SQL texts that vary with their input (an `IN` list of every length) come and go without growing it.
struct SQLiteStatementCache {
    let capacity: Int
    private var statements: [String: SQLiteCachedStatement] = [:]
    private var uses: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { statements.count }

    mutating func statement(for sql: String) -> SQLiteCachedStatement? {
        guard let statement = statements[sql] else { return nil }
        uses += 1
        statement.lastUse = uses
        return statement
    }

    mutating func keep(_ statement: SQLiteCachedStatement, for sql: String) {
        // A linear search for the oldest: only on a miss with a full cache, over a few dozen entries.
        if statements.count >= capacity, let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            statements.removeValue(forKey: oldest.key)?.finalize()
        }
        uses += 1
        statement.lastUse = uses
        statements[sql] = statement
    }

    mutating func drop(_ sql: String) {
        statements.removeValue(forKey: sql)?.finalize()
    }

    mutating func removeAll() {
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
    }
}
