import CFathomSQLite
import NIOCore
import SQLiteNIO

/// One SQLite connection of Fathom's own for reads, keeping its prepared statements: SQLiteNIO prepares every
/// statement anew (a sixth of a ledger page's CPU) and hops through futures and the event loop for every row.
/// Not thread-safe: `SQLiteReaderPool` lets one thread at a time use it.
final class SQLiteReader {
    private var handle: OpaquePointer?
    private var statements: SQLiteStatementCache

    /// Opens `path` as SQLiteNIO opens its connections (read-write, so a checkpoint or `VACUUM INTO` runs on a
    /// reader too) with the store's pragmas and a memory map of `mapBytes`.
    init(path: String, mapBytes: Int, cacheCapacity: Int) throws {
        statements = SQLiteStatementCache(capacity: cacheCapacity)
        let flags = FATHOM_SQLITE_OPEN_CREATE | FATHOM_SQLITE_OPEN_READWRITE | FATHOM_SQLITE_OPEN_FULLMUTEX
            | FATHOM_SQLITE_OPEN_URI | FATHOM_SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == FATHOM_SQLITE_OK, let handle else {
            let error = SQLiteReaderError(code: opened, message: Self.message(handle, code: opened))
            sqlite_nio_sqlite3_close_v2(handle)
            self.handle = nil
            throw error
        }
        // The same as SQLiteDriver's other connections, plus the readers' map.
        let pragmas = (SQLiteDriver.connectionPragmas + ["PRAGMA mmap_size=\(mapBytes)"]).joined(separator: "; ")
        let configured = sqlite_nio_sqlite3_exec(handle, pragmas, nil, nil, nil)
        guard configured == FATHOM_SQLITE_OK else {
            let error = lastError(configured)
            close()
            throw error
        }
    }

    /// Prepared statements kept now (for tests).
    var cachedStatements: Int { statements.count }

    /// Runs one statement, calling `onRow` for each row as SQLite steps to it (nothing is gathered here: a caller
    /// that streams keeps constant memory). Read-only statements are kept prepared; others (and pragmas) are
    /// finalized after use.
    func run(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteReaderRow) -> Void) throws {
        guard let handle else { throw SQLiteReaderError.closed }
        let statement: SQLiteCachedStatement
        var kept = true
        if let found = statements.statement(for: sql) {
            statement = found
        } else {
            var prepared: OpaquePointer?
            let code = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(FATHOM_SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard code == FATHOM_SQLITE_OK else { throw lastError(code) }
            // Only whitespace or a comment: no statement, no rows.
            guard let prepared else { return }
            statement = SQLiteCachedStatement(handle: prepared)
            kept = sqlite_nio_sqlite3_stmt_readonly(prepared) != 0 && !Self.isPragma(sql)
            if kept { statements.keep(statement, for: sql) }
        }
        var dropped = false
        defer {
            if dropped {
                // Finalized by the cache already.
            } else if kept {
                // Ready for the next use, and no bound text or blob kept alive in between.
                sqlite_nio_sqlite3_reset(statement.handle)
                sqlite_nio_sqlite3_clear_bindings(statement.handle)
            } else {
                statement.finalize()
            }
        }
        do {
            try bind(binds, to: statement.handle)
            try step(statement, onRow)
        } catch let error as SQLiteReaderError where kept && !error.isWait {
            // After waiting on a lock the statement is fine for the next time; after anything else it is prepared
            // again rather than trusted.
            statements.drop(sql)
            dropped = true
            throw error
        }
    }

    /// SQLite runs a pragma's work when it prepares it (setting a flag, or reading one into the program as a
    /// constant): a kept `PRAGMA foreign_keys` would answer what was true when it was first prepared.
    static func isPragma(_ sql: String) -> Bool {
        let start = sql.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        return start.prefix(6).map { $0 | 0x20 } == Array("pragma".utf8)
    }

    private func step(_ statement: SQLiteCachedStatement, _ onRow: (SQLiteReaderRow) -> Void) throws {
        let handle = statement.handle
        var columns: SQLiteReaderColumns?
        while true {
            let code = sqlite_nio_sqlite3_step(handle)
            if code == FATHOM_SQLITE_DONE { return }
            guard code == FATHOM_SQLITE_ROW else { throw lastError(code) }
            // Read at the first row: a re-preparation (after a schema change) happens inside the first step.
            let current = columns ?? statement.currentColumns()
            columns = current
            var cells: [SQLiteData] = []
            cells.reserveCapacity(current.names.count)
            for index in 0..<Int32(current.names.count) {
                cells.append(try cell(handle, index))
            }
            onRow(SQLiteReaderRow(columns: current, cells: cells))
        }
    }

    /// A cell as SQLiteNIO reads it (text taken by its byte length, so it may hold a NUL).
    private func cell(_ statement: OpaquePointer, _ index: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case FATHOM_SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case FATHOM_SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case FATHOM_SQLITE_TEXT:
            // The pointer first, then the length: that order gives the length of the UTF-8 text.
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else { throw lastError(FATHOM_SQLITE_NOMEM) }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case FATHOM_SQLITE_BLOB:
            let bytes = sqlite_nio_sqlite3_column_blob(statement, index)
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes { buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length)) }
            return .blob(buffer)
        case FATHOM_SQLITE_NULL:
            return .null
        default:
            throw SQLiteReaderError(code: 1, message: "unexpected storage class of column \(index)")
        }
    }

    /// Binds as SQLiteNIO does: parameters numbered from 1, text and blobs copied by SQLite.
    private func bind(_ binds: [SQLiteData], to statement: OpaquePointer) throws {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number):
                code = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
            case .float(let number):
                code = sqlite_nio_sqlite3_bind_double(statement, index, number)
            case .text(let text):
                code = sqlite_nio_sqlite3_bind_text64(
                    statement, index, text, UInt64(text.utf8.count), fathom_sqlite3_transient(), UInt8(FATHOM_SQLITE_UTF8))
            case .blob(let buffer):
                // A zero-length blob still needs a pointer: SQLite binds NULL for a missing one.
                code = buffer.withUnsafeReadableBytes { bytes in
                    withUnsafeBytes(of: UInt8(0)) { empty in
                        sqlite_nio_sqlite3_bind_blob64(
                            statement, index, bytes.baseAddress ?? empty.baseAddress, UInt64(bytes.count),
                            fathom_sqlite3_transient())
                    }
                }
            case .null:
                code = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard code == FATHOM_SQLITE_OK else { throw lastError(code) }
        }
    }

    /// The connection's last error; `code` when the connection has no more precise one.
    private func lastError(_ code: Int32) -> SQLiteReaderError {
        let extended = handle.map { sqlite_nio_sqlite3_extended_errcode($0) } ?? code
        // The extended code belongs to the same failure only when its primary part matches.
        let precise = extended & 0xff == code & 0xff ? extended : code
        return SQLiteReaderError(code: precise, message: Self.message(handle, code: precise))
    }

    private static func message(_ handle: OpaquePointer?, code: Int32) -> String {
        if let handle, let text = sqlite_nio_sqlite3_errmsg(handle) { return String(cString: text) }
        return sqlite_nio_sqlite3_errstr(code).map { String(cString: $0) } ?? "SQLite error \(code)"
    }

    /// Finalizes every kept statement and closes the connection.
    func close() {
        statements.removeAll()
        sqlite_nio_sqlite3_close_v2(handle)
        handle = nil
    }
}
