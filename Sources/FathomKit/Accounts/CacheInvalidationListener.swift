import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Applies other replicas' cache invalidations: LISTENs on the store's PostgreSQL for what `AccountCache`
/// NOTIFYs. A notification can be missed while the connection is down, so after a reconnection the whole cache
/// is dropped: stale entries are worse than a few misses. (At the first connection there is nothing to miss: the
/// process's cache starts empty.)
struct CacheInvalidationListener: Service {
    let url: String
    let cache: AccountCache
    let replicaId: String
    let logger: Logger
    /// Called once LISTEN is in place (tests wait for it).
    var onListening: @Sendable () -> Void = {}

    func run() async throws {
        try await ListeningClient.run(url: url, logger: logger) { client in await listen(client) }
    }

    private func listen(_ client: PostgresClient) async {
        let decoder = JSONDecoder()
        var reconnecting = false
        while !Task.isCancelled {
            do {
                try await client.withConnection { [reconnecting] connection in
                    try await connection.listen(on: CacheInvalidationStore.channel) { notifications in
                        if reconnecting {
                            cache.apply(.allInstances)
                            cache.apply(.classification(dbType: nil))
                        }
                        onListening()
                        for try await notification in notifications {
                            guard let message = try? decoder.decode(CacheInvalidationMessage.self, from: Data(notification.payload.utf8)),
                                message.origin != replicaId
                            else { continue }
                            cache.apply(message.invalidation)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cache invalidation listener lost its connection; retrying")
                try? await Task.sleep(for: .seconds(1))
            }
            reconnecting = true
        }
    }
}
