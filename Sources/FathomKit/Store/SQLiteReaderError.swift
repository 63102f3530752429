/// A statement on one of Fathom's own SQLite reader connections failed: SQLite's extended result code and message.
/// (SQLiteNIO's `SQLiteError` cannot be made outside SQLiteNIO; `StoreError` reads both the same way.)
public struct SQLiteReaderError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (the primary code is its low byte).
    public let code: Int32
    public let message: String

    public var description: String { "SQLite error \(code): \(message)" }

    /// Busy or locked, of any kind (primary codes 5 and 6): the statement waited on another connection's lock.
    var isWait: Bool { code & 0xff == 5 || code & 0xff == 6 }

    /// What `StoreError` makes of it: the same codes as it recognises in a `SQLiteError` from SQLiteNIO.
    var storeError: StoreError? {
        switch code {
        case 2067, 1555: .uniqueViolation(constraint: nil)  // CONSTRAINT_UNIQUE, CONSTRAINT_PRIMARYKEY
        case 787: .foreignKeyViolation  // CONSTRAINT_FOREIGNKEY
        // BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT, LOCKED, LOCKED_SHAREDCACHE, CANTOPEN, IOERR
        case 5, 261, 517, 773, 6, 262, 14, 10: .unavailable
        default: nil
        }
    }

    /// The reader pool was closed before the statement could run.
    static let closed = SQLiteReaderError(code: 21, message: "the store's reader connections are closed")
}
