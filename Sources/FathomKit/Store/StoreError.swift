import PostgresNIO
import SQLiteNIO
import _ConnectionPoolModule

/// Store failures that callers act on; everything else from the drivers stays an internal error.
public enum StoreError: Error, Sendable {
    /// A unique constraint refused the row (duplicate name, key …).
    case uniqueViolation(constraint: String?)
    /// A foreign key refused the row or its deletion.
    case foreignKeyViolation
    /// The store could not be reached.
    case unavailable
    /// The database URL cannot be used.
    case invalidURL(String)

    /// Recognises driver errors; nil for ones with no specific meaning.
    init?(_ error: any Error) {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .server:
                switch error.serverInfo?[.sqlState] {
                case "23505": self = .uniqueViolation(constraint: error.serverInfo?[.constraintName])
                case "23503": self = .foreignKeyViolation
                case let state? where state.hasPrefix("08") || state.hasPrefix("57P"): self = .unavailable
                default: return nil
                }
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
                self = .unavailable
            default:
                return nil
            }
        case let error as SQLiteReaderError:
            guard let mapped = error.storeError else { return nil }
            self = mapped
        case let error as ConnectionPoolError where error == .connectionCreationCircuitBreakerTripped || error == .poolShutdown:
            self = .unavailable
        case let error as SQLiteError:
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed: self = .uniqueViolation(constraint: nil)
            case .constraintForeignKeyFailed: self = .foreignKeyViolation
            case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .lockedBySharedCache, .cantOpen, .ioError:
                self = .unavailable
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Maps a driver error to a StoreError where one applies, else passes it through.
    static func map(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        return StoreError(error) ?? error
    }

    var appError: AppError {
        switch self {
        case .uniqueViolation: return AppError(.configResourceConflict, "A resource with the same key already exists")
        case .foreignKeyViolation: return AppError(.configResourceConflict, "The resource is referenced or references a missing resource")
        case .unavailable: return AppError(.storeUnavailable)
        case .invalidURL: return AppError(.internalError)
        }
    }

    public var isUniqueViolation: Bool {
        if case .uniqueViolation = self { return true }
        return false
    }
}
