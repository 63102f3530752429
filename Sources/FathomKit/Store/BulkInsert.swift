import SQLKit

/// Inserts many rows of one table in few statements, whatever the backend: multi-row `VALUES` lists on SQLite, and on
/// PostgreSQL each column bound once as an array and the rows made by `unnest`, so the server parses and plans one
/// short statement per few thousand rows instead of a `VALUES` list of thousands of binds (with it a 50,000-asset
/// collect went from 11.9 s to 6.6 s, BENCHMARKS.md). Rows are made just before their statement is sent, so a large
/// insert never holds every row's values at once.
struct BulkInsert {
    /// A column of the table: bound per row (text or integer), or the same SQL for every row.
    enum Column {
        case text(String)
        case bigint(String)
        case constant(String, SQLQueryString)

        var name: String {
            switch self {
            case .text(let name), .bigint(let name), .constant(let name, _): name
            }
        }
    }

    /// One row's values for the bound columns, in their order.
    enum Value {
        case text(String)
        case bigint(Int64)
    }

    let table: String
    let columns: [Column]
    /// What follows the rows: `ON CONFLICT …`, or nothing.
    let tail: SQLQueryString

    init(_ table: String, _ columns: [Column], tail: SQLQueryString = "") {
        self.table = table
        self.columns = columns
        self.tail = tail
    }

    static let rowsPerValuesStatement = 500
    static let rowsPerArrayStatement = 5_000

    /// Inserts a row per item; `row` gives the bound columns' values in order.
    func run<Items: Sequence>(
        _ items: Items, on db: any SQLDatabase, backend: Store.Backend, row: (Items.Element) -> [Value]
    ) async throws {
        switch backend {
        case .sqlite: try await runValues(items, on: db, row: row)
        case .postgres: try await runArrays(items, on: db, row: row)
        }
    }

    private var head: SQLQueryString {
        var sql: SQLQueryString = "INSERT INTO \(ident: table) ("
        sql += columns.map { "\(ident: $0.name)" as SQLQueryString }.joined(separator: ", ")
        sql += ")"
        return sql
    }

    /// Each statement is built as one query string, row after row, bind after bind (no string per cell or per row:
    /// a large collect writes millions of cells).
    private func runValues<Items: Sequence>(
        _ items: Items, on db: any SQLDatabase, row: (Items.Element) -> [Value]
    ) async throws {
        var sql: SQLQueryString = ""
        var count = 0
        for item in items {
            if count == 0 {
                sql = head
                sql += " VALUES ("
            } else {
                sql += ", ("
            }
            var values = row(item).makeIterator()
            for (position, column) in columns.enumerated() {
                if position > 0 { sql += ", " }
                switch column {
                case .constant(_, let constant): sql += constant
                case .text, .bigint:
                    switch values.next() {
                    case .text(let text): sql.appendInterpolation(bind: text)
                    case .bigint(let number): sql.appendInterpolation(bind: number)
                    case nil: preconditionFailure("BulkInsert: fewer values than bound columns of \(table)")
                    }
                }
            }
            sql += ")"
            count += 1
            if count == Self.rowsPerValuesStatement {
                sql += " "
                sql += tail
                try await db.raw(sql).run()
                count = 0
            }
        }
        if count > 0 {
            sql += " "
            sql += tail
            try await db.raw(sql).run()
        }
    }

    /// While the server runs one statement, the next one's arrays are filled: building rows and the server's work
    /// overlap instead of taking turns (a large collect left a core idle half of the time). Statements still run
    /// one after another, in order, on the caller's connection.
    private func runArrays<Items: Sequence>(
        _ items: Items, on db: any SQLDatabase, row: (Items.Element) -> [Value]
    ) async throws {
        let bound = columns.filter { if case .constant = $0 { false } else { true } }
        var texts = [[String]](repeating: [], count: bound.count)
        var numbers = [[Int64]](repeating: [], count: bound.count)
        var count = 0
        var running: Task<Void, any Error>?
        func send() async throws {
            let sql = arrayStatement(bound, texts, numbers)
            texts = [[String]](repeating: [], count: bound.count)
            numbers = [[Int64]](repeating: [], count: bound.count)
            count = 0
            if let previous = running { try await previous.value }
            running = Task { try await db.raw(sql).run() }
        }
        do {
            for item in items {
                for (index, value) in row(item).enumerated() {
                    switch value {
                    case .text(let text): texts[index].append(text)
                    case .bigint(let number): numbers[index].append(number)
                    }
                }
                count += 1
                if count == Self.rowsPerArrayStatement { try await send() }
            }
            if count > 0 { try await send() }
            try await running?.value
        } catch {
            // Nothing may still run on the connection when the caller's transaction rolls back.
            _ = try? await running?.value
            throw error
        }
    }

    private func arrayStatement(_ bound: [Column], _ texts: [[String]], _ numbers: [[Int64]]) -> SQLQueryString {
        var sql = head
        sql += " SELECT "
        var position = 0
        sql += columns.map { column -> SQLQueryString in
            if case .constant(_, let constant) = column { return constant }
            defer { position += 1 }
            return "u.c\(unsafeRaw: String(position))"
        }.joined(separator: ", ")
        sql += " FROM unnest("
        sql += bound.indices.map { index -> SQLQueryString in
            if case .bigint = bound[index] { return "\(bind: numbers[index])::int8[]" }
            return "\(bind: texts[index])::text[]"
        }.joined(separator: ", ")
        sql += ") AS u("
        sql += bound.indices.map { "c\(unsafeRaw: String($0))" as SQLQueryString }.joined(separator: ", ")
        sql += ") "
        sql += tail
        return sql
    }
}
