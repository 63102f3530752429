import Logging
import PostgresNIO
import ServiceLifecycle

/// A PostgreSQL client of one connection for a LISTEN, which holds its connection for as long as it listens: runs
/// `body` with it until `body` returns or the service group shuts down gracefully.
enum ListeningClient {
    static func run(url: String, logger: Logger, _ body: @escaping @Sendable (PostgresClient) async -> Void) async throws {
        var configuration = try PostgresDriver.configuration(from: url)
        configuration.options.maximumConnections = 1
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                await body(client)
                group.cancelAll()
            }
        }
    }
}
