import Logging
import NIOCore
import SQLKit
import SQLiteKit

/// SQLKit over Fathom's own SQLite readers (`SQLiteReaderPool`): what `Store.read` hands its body on SQLite, one per
/// body (its statements share one reader). Binds and rows follow `SQLiteStoreDatabase`, so both answer alike.
struct SQLiteReaderDatabase: SQLDatabase {
    let readers: SQLiteReaderPool
    let pin = SQLiteReaderPool.Pin()
    let logger: Logger
    /// Only for SQLKit's future-returning calls; statements themselves never pass through an event loop.
    let eventLoop: any EventLoop
    /// SQLite's library version as SQLiteKit reports it (one library for every connection).
    let version: (any SQLDatabaseReportedVersion)?

    var dialect: any SQLDialect { SQLiteDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        logStatement(sql, binds)
        try await readers.run(sql, try binds.map(SQLiteStoreDatabase.data), pin: pin, { onRow($0) })
    }
}
