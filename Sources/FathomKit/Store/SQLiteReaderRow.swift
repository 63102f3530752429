import SQLKit
import SQLiteKit
import SQLiteNIO

/// A statement's column names, made once per prepared statement and shared by all of its rows.
final class SQLiteReaderColumns: Sendable {
    let names: [String]
    /// Name → position; the first of two equal names wins, as in SQLiteNIO's rows.
    let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        self.positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A row read by a `SQLiteReader`. Text, integer, boolean and double cells are read directly (as `SQLiteStoreRow`
/// does); any other type, or a cell of an unexpected storage class, goes through SQLiteKit's decoder unchanged.
struct SQLiteReaderRow: SQLRow {
    let columns: SQLiteReaderColumns
    let cells: [SQLiteData]

    /// One decoder for every row: making one per row (as SQLiteKit's rows do) builds a JSON decoder each time.
    private static let decoder = SQLiteDataDecoder()

    /// Asked for a column the row does not have.
    struct MissingColumn: Error {
        let column: String
    }

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.positions[column] != nil }

    func cell(_ column: String) -> SQLiteData? { columns.positions[column].map { cells[$0] } }

    func decodeNil(column: String) throws -> Bool {
        guard let data = cell(column) else { return true }
        if case .null = data { return true }
        return false
    }

    func decode<T: Decodable>(column: String, as type: T.Type) throws -> T {
        let data = cell(column)
        if let value = SQLiteCell.direct(data, as: type) { return value }
        switch data {
        case let data?:
            return try Self.decoder.decode(type, from: data)
        case nil:
            throw MissingColumn(column: column)
        }
    }
}

/// The cells both SQLite row types read without SQLiteKit: text, integers, doubles and 0/1 booleans (SQLiteKit's rule;
/// any other value goes to its decoder and its error).
enum SQLiteCell {
    static func direct<T>(_ data: SQLiteData?, as type: T.Type) -> T? {
        switch data {
        case .text(let text)? where T.self == String.self: text as? T
        case .integer(let number)? where T.self == Int64.self: Int64(number) as? T
        case .integer(let number)? where T.self == Int.self: number as? T
        case .float(let number)? where T.self == Double.self: number as? T
        case .integer(let number)? where T.self == Double.self: Double(number) as? T
        case .integer(let number)? where T.self == Bool.self && (number == 0 || number == 1): (number == 1) as? T
        default: nil
        }
    }
}
