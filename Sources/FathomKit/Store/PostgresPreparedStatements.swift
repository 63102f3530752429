import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Read statements prepared once per PostgreSQL connection. PostgreSQL parses and plans an unnamed statement anew
/// on every call, and for a list page that was more of the server's CPU than running it (BENCHMARKS.md, issue 12).
///
/// PostgresNIO prepares a named statement on a connection the first time it is executed there (a protocol-level
/// Parse with the declared parameter types, the same types the unnamed path sends), but it takes the name, text
/// and types from a type's static properties. SQL's own `PREPARE`/`EXECUTE` would not do: parameters inside
/// `EXECUTE`'s argument list are refused by the extended protocol ("bind message supplies 1 parameters, but prepared
/// statement "" requires 0"). So each distinct statement (text and bind types) gets a number, and a generic type
/// built from that number's binary digits (`StatementNumber`) carries it to PostgresNIO.
///
/// The numbers are process-wide and bounded (`capacity`); a statement beyond that runs unnamed. A prepared statement
/// that fails before returning a row is run again unnamed, once, and its number is retired so that the next use
/// prepares it afresh on every connection: this covers a statement the server lost (`DISCARD`, "prepared statement
/// … does not exist"), one whose result columns changed with a migration ("cached plan must not change result
/// type"), and one that could not be prepared (PostgresNIO then keeps answering that error on that connection).
/// The unnamed run gives the answer or the error the statement gives without preparing. PostgreSQL re-plans a
/// prepared statement itself when a table under it changes.
enum PostgresPreparedStatements {
    /// Distinct statements prepared per process; each costs every connection that runs it a plan's memory.
    static let capacity = 500
    /// A statement failing this often while prepared runs unnamed from then on.
    static let retirementLimit = 3

    /// A statement as Fathom sends it: its text and the PostgreSQL types of its binds.
    struct Key: Hashable, Sendable {
        let sql: String
        let types: [PostgresDataType]
    }

    private struct Registry {
        var numbers: [Key: Int] = [:]
        var statements: [Int: Key] = [:]
        var retirements: [Key: Int] = [:]
        var next = 1
    }

    private static let registry = Mutex(Registry())

    /// Whether reads are prepared: `FATHOM_PG_PREPARED=0` turns it off (to compare the two on one store).
    static var enabledByEnvironment: Bool {
        ProcessInfo.processInfo.environment["FATHOM_PG_PREPARED"] != "0"
    }

    /// `FATHOM_PG_PREPARED=generic`, for measurement only: prepared reads always use their generic plan. By default
    /// PostgreSQL keeps planning a page statement per call, because a generic plan estimates a bound LIMIT as a
    /// tenth of the table and so looks far dearer than the custom plans (though it is the same plan).
    static var forcesGenericPlansByEnvironment: Bool {
        ProcessInfo.processInfo.environment["FATHOM_PG_PREPARED"] == "generic"
    }

    /// Statements worth preparing: reads, and not one-off shapes with a very long list of binds.
    static func isPreparable(_ sql: String) -> Bool {
        let start = sql.drop { $0.isWhitespace || $0 == "(" }.prefix(6).uppercased()
        return start.hasPrefix("SELECT") || start.hasPrefix("WITH")
    }

    /// Runs `sql` with `bindings` (of the PostgreSQL `types`) as a statement prepared on `connection`; unnamed if
    /// it is not preparable, the registry is full, or it failed while prepared (see the type's comment).
    static func run(
        _ sql: String, bindings: PostgresBindings, types: [PostgresDataType], on connection: PostgresConnection,
        logger: Logger, _ onRow: (PostgresRow) -> Void
    ) async throws {
        let key = Key(sql: sql, types: types)
        if types.count <= 100, isPreparable(sql), let number = number(for: key) {
            var delivered = false
            do {
                return try await execute(statementNumberType(number), bindings: bindings, on: connection, logger: logger) { row in
                    delivered = true
                    onRow(row)
                }
            } catch let error as PSQLError where error.code == .server && !delivered {
                // Before its first row nothing of a read has been seen; running it unnamed cannot repeat an effect.
                retire(key, number: number)
            }
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows { onRow(row) }
    }

    /// The statement's number, given it now if it has none; nil if it is not to be prepared.
    static func number(for key: Key) -> Int? {
        registry.withLock { registry in
            if let number = registry.numbers[key] { return number }
            guard registry.numbers.count < capacity, registry.retirements[key, default: 0] < retirementLimit else { return nil }
            let number = registry.next
            registry.next += 1
            registry.numbers[key] = number
            registry.statements[number] = key
            return number
        }
    }

    /// The next use of `key` gets a new number, so a new name, prepared anew on each connection.
    private static func retire(_ key: Key, number: Int) {
        registry.withLock { registry in
            // Another caller may have retired it already.
            guard registry.numbers[key] == number else { return }
            registry.numbers[key] = nil
            registry.retirements[key, default: 0] += 1
        }
    }

    /// The statement a number stands for (kept after retirement: a connection may still be preparing it).
    static func statement(_ number: Int) -> Key {
        registry.withLock { $0.statements[number]! }
    }

    private static func execute<Number: StatementNumber>(
        _: Number.Type, bindings: PostgresBindings, on connection: PostgresConnection, logger: Logger,
        _ onRow: (PostgresRow) -> Void
    ) async throws {
        let rows = try await connection.execute(NumberedStatement<Number>(bindings: bindings), logger: logger)
        for try await row in rows { onRow(row) }
    }
}

/// A statement number as a type: `One`, then one `Bit0`/`Bit1` per further binary digit (6 = Bit0<Bit1<One>>).
protocol StatementNumber { static var value: Int { get } }

/// The type whose `value` is `number` (≥ 1).
func statementNumberType(_ number: Int) -> any StatementNumber.Type {
    if number <= 1 { return One.self }
    let rest = statementNumberType(number / 2)
    return number % 2 == 0 ? appendingBit0(rest) : appendingBit1(rest)
}

private func appendingBit0<Rest: StatementNumber>(_: Rest.Type) -> any StatementNumber.Type { Bit0<Rest>.self }
private func appendingBit1<Rest: StatementNumber>(_: Rest.Type) -> any StatementNumber.Type { Bit1<Rest>.self }

enum One: StatementNumber { static var value: Int { 1 } }
enum Bit0<Rest: StatementNumber>: StatementNumber { static var value: Int { Rest.value * 2 } }
enum Bit1<Rest: StatementNumber>: StatementNumber { static var value: Int { Rest.value * 2 + 1 } }

/// The statement numbered `Number`, with its binds, as PostgresNIO runs prepared statements.
struct NumberedStatement<Number: StatementNumber>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { "fathom_s\(Number.value)" }
    static var sql: String { PostgresPreparedStatements.statement(Number.value).sql }
    static var bindingDataTypes: [PostgresDataType] { PostgresPreparedStatements.statement(Number.value).types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
