import Foundation
import SQLKit

/// The one statement that tells other replicas about an invalidation (PostgreSQL NOTIFY).
enum CacheInvalidationStore {
    static let channel = "fathom_account_cache"

    static func notify(_ payload: String, on db: any SQLDatabase) async throws {
        try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload)) AS sent").run()
    }
}

/// An invalidation on the wire: who sent it (a replica ignores its own) and what to drop.
struct CacheInvalidationMessage: Codable, Sendable {
    var origin: String
    var invalidation: AccountCache.Invalidation
}
