import Logging
import PostgresNIO
import ServiceLifecycle

/// Brings the writes of other processes on the same PostgreSQL into this one's `StoreChanges`: every observed write
/// transaction announces itself at commit (`Store.write`), and this LISTENs for the announcements. While it is not
/// listening (connecting, or the connection lost) `othersAnnounced` is false, and kept answers last a second at most;
/// once listening again, the generation moves on, since announcements may have been missed meanwhile.
struct StoreChangeListener: Service {
    let url: String
    let store: Store
    let logger: Logger
    /// Called each time LISTEN is in place (tests wait for it).
    var onListening: @Sendable () -> Void = {}

    func run() async throws {
        defer { store.changes.setListening(false) }
        try await ListeningClient.run(url: url, logger: logger) { client in await listen(client) }
    }

    private func listen(_ client: PostgresClient) async {
        let changes = store.changes
        let origin = store.origin
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: StoreChanges.channel) { notifications in
                        changes.advance()
                        changes.setListening(true)
                        onListening()
                        for try await notification in notifications where notification.payload != origin {
                            changes.advance()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("store change listener lost its connection; retrying")
                try? await Task.sleep(for: .seconds(1))
            }
            // Writes elsewhere may go unannounced until LISTEN is in place again.
            changes.setListening(false)
        }
    }
}
