import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Short-lived connections to managed PostgreSQL servers (not Fathom's own store).
public enum PostgresSession {
    public struct Target: Sendable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String
        public var database: String

        public init(host: String, port: Int, username: String, password: String, database: String) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
        }
    }

    /// Connects, runs `body`, closes. Connection failures become DATABASE_CONNECTION_ERROR (no password in it).
    public static func with<T: Sendable>(
        _ target: Target, timeout: Duration = .seconds(10), logger: Logger,
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.username, password: target.password,
            database: target.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(timeout.components.seconds)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger)
        } catch {
            throw AppError(
                .databaseConnectionError,
                "Could not connect to \(target.host):\(target.port)/\(target.database) as \(target.username): \(describe(error))")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A server message without internals (no query text, no credentials).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return String(describing: type(of: error))
    }
}
