import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit over one SQLite connection, like SQLiteKit's `connection.sql()` but reading text, integer, boolean and
/// double cells straight from the row. SQLiteKit decodes every cell through a dynamic cast to its conversion protocol
/// (and binds through another): about a tenth of an asset list page's CPU. Other types go through SQLiteKit unchanged.
struct SQLiteStoreDatabase: SQLDatabase {
    let connection: SQLiteConnection

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { SQLiteDialect() }
    var version: (any SQLDatabaseReportedVersion)? { general.version }

    /// SQLiteKit's own database on the same connection: the reference for every answer.
    private var general: any SQLDatabase { connection.sql() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let (sql, binds) = serialize(query)
        logStatement(sql, binds)
        do {
            return connection.query(sql, try binds.map(Self.data), { onRow(SQLiteStoreRow(row: $0)) })
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        logStatement(sql, binds)
        try await connection.query(sql, try binds.map(Self.data), { onRow(SQLiteStoreRow(row: $0)) })
    }

    /// A bind as SQLiteKit's encoder would send it.
    static func data(_ bind: any Encodable & Sendable) throws -> SQLiteData {
        switch bind {
        case let value as String: .text(value)
        case let value as Int64: .integer(Int(value))
        case let value as Int: .integer(value)
        case let value as Bool: .integer(value ? 1 : 0)
        case let value as Double: .float(value)
        default: try SQLiteDataEncoder().encode(bind)
        }
    }
}

extension SQLDatabase {
    /// Logs a statement at the database's query log level, as SQLiteKit's database does.
    func logStatement(_ sql: String, _ binds: [any Encodable & Sendable]) {
        guard let level = queryLogLevel else { return }
        logger.log(level: level, "Executing query", metadata: ["sql": .string(sql), "binds": .array(binds.map { .string("\($0)") })])
    }
}

/// A row whose text, integer, boolean and double cells are read directly; anything else (another type, a cell of an
/// unexpected storage class, a missing column) is answered by SQLiteKit's row.
struct SQLiteStoreRow: SQLRow {
    let row: SQLiteRow

    private var general: any SQLRow { row.sql() }

    var allColumns: [String] { row.columns.map(\.name) }

    func contains(column: String) -> Bool { row.column(column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let data = row.column(column) else { return true }
        if case .null = data { return true }
        return false
    }

    func decode<T: Decodable>(column: String, as type: T.Type) throws -> T {
        if let value = SQLiteCell.direct(row.column(column), as: type) { return value }
        return try general.decode(column: column, as: type)
    }
}
