import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// SQLKit over one PostgreSQL connection, like PostgresKit's `connection.sql()` but with a shorter path for the
/// values Fathom binds and reads (text, integers, booleans, doubles, NULL). PostgresKit sends every bind and every
/// cell through its general translation (dynamic casts, a coding path built as a string per cell), which cost
/// about a tenth of a ledger page's CPU. Anything else goes through PostgresKit unchanged: a statement with another
/// bind type is run by it, a cell of another type is decoded by its row.
struct PostgresStoreDatabase: SQLDatabase {
    let connection: PostgresConnection
    /// Whether reads are prepared once per connection (`PostgresPreparedStatements`), or sent unnamed.
    var prepareReads = false

    /// PostgresKit's own database on the same connection: the fallback, and the reference for every answer.
    private var general: any SQLDatabase { connection.sql() }

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        general.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        guard let (bindings, types) = Self.simpleBinds(binds) else {
            return try await general.execute(sql: query, onRow)
        }
        if let level = queryLogLevel {
            logger.log(level: level, "Executing query", metadata: ["sql": .string(sql), "binds": .array(binds.map { .string("\($0)") })])
        }
        // The rows of one statement share their columns' positions, found once.
        var positions: PostgresColumnPositions?
        func deliver(_ row: PostgresRow) {
            let shared = positions ?? PostgresColumnPositions(row)
            positions = shared
            onRow(PostgresStoreRow(row: row, positions: shared))
        }
        if prepareReads {
            return try await PostgresPreparedStatements.run(sql, bindings: bindings, types: types, on: connection, logger: logger, deliver)
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows { deliver(row) }
    }

    /// The binds encoded as PostgresKit would encode them, or nil if one of them is of a type this path leaves to it.
    static func simpleBindings(_ binds: [any Encodable & Sendable]) -> PostgresBindings? {
        simpleBinds(binds)?.bindings
    }

    /// The binds encoded as PostgresKit would encode them, with each one's PostgreSQL type (what a prepared
    /// statement declares), or nil if one of them is of a type this path leaves to PostgresKit.
    static func simpleBinds(_ binds: [any Encodable & Sendable]) -> (bindings: PostgresBindings, types: [PostgresDataType])? {
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            if let optional = bind as? any NullableBind, optional.isNone {
                // PostgresKit sends an absent optional as a NULL of the wrapped type, not an untyped NULL.
                guard let type = nullType(type(of: bind)) else { return nil }
                bindings.append(PostgresData(type: type, value: nil))
                types.append(type)
                continue
            }
            switch bind {
            case let value as String: bindings.append(value); types.append(.text)
            case let value as Int64: bindings.append(value); types.append(.int8)
            case let value as Int: bindings.append(value); types.append(.int8)
            case let value as Bool: bindings.append(value); types.append(.bool)
            case let value as Double: bindings.append(value); types.append(.float8)
            // Columns of a bulk insert (`BulkInsert`), one array per column.
            case let value as [String]: bindings.append(value); types.append(.textArray)
            case let value as [Int64]: bindings.append(value); types.append(.int8Array)
            default: return nil
            }
        }
        return (bindings, types)
    }

    /// The PostgreSQL type of a NULL bound from an absent optional of `type`, for the types this path encodes.
    private static func nullType(_ type: Any.Type) -> PostgresDataType? {
        switch ObjectIdentifier(type) {
        case ObjectIdentifier(String?.self): .text
        case ObjectIdentifier(Int64?.self), ObjectIdentifier(Int?.self): .int8
        case ObjectIdentifier(Bool?.self): .bool
        case ObjectIdentifier(Double?.self): .float8
        default: nil
        }
    }
}

/// Lets a bind say that it is an absent optional, whatever it wraps.
private protocol NullableBind { var isNone: Bool { get } }
extension Optional: NullableBind { fileprivate var isNone: Bool { self == nil } }

/// A row whose text, integer, boolean and double cells are decoded directly; other cells, and anything unusual
/// (a missing column, a user-defined type, a binary numeric read as a double), go to PostgresKit's own row.
struct PostgresStoreRow: SQLRow {
    let row: PostgresRow
    private let cells: PostgresRandomAccessRow
    private let positions: PostgresColumnPositions

    init(row: PostgresRow, positions: PostgresColumnPositions) {
        self.row = row
        self.cells = row.makeRandomAccess()
        self.positions = positions
    }

    private var general: some SQLRow { row.sql() }

    var allColumns: [String] { general.allColumns }

    func contains(column: String) -> Bool { positions.of[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let index = positions.of[column] else { return true }
        return cells[index].bytes == nil
    }

    func decode<T: Decodable>(column: String, as type: T.Type) throws -> T {
        guard let index = positions.of[column] else { return try general.decode(column: column, as: type) }
        let cell = cells[index]
        if T.self == String.self, !cell.dataType.isUserDefined {
            return try cell.decode(String.self) as! T
        } else if T.self == Int64.self {
            return try cell.decode(Int64.self) as! T
        } else if T.self == Int.self {
            return try cell.decode(Int.self) as! T
        } else if T.self == Bool.self {
            return try cell.decode(Bool.self) as! T
        } else if T.self == Double.self, !(cell.format == .binary && cell.dataType == .numeric) {
            return try cell.decode(Double.self) as! T
        }
        return try general.decode(column: column, as: type)
    }
}

/// A statement's column names and their positions, found from its first row and shared by all of its rows: a cell is
/// then one lookup (PostgresNIO's named access looks a name up twice per cell, with a hash of its own each time).
final class PostgresColumnPositions: Sendable {
    /// Name → position; the last of two equal names wins, as in PostgresNIO's own rows.
    let of: [String: Int]

    init(_ row: PostgresRow) {
        var positions: [String: Int] = [:]
        for (index, cell) in row.enumerated() { positions[cell.columnName] = index }
        of = positions
    }
}
