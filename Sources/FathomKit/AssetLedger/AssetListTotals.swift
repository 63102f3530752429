import SQLKit
import Synchronization

/// Totals of the asset list's filters, kept per version of the list. Every transaction that changes what a list shows
/// or counts (a collect, a merge) bumps `asset_list_version` in itself, so a total counted at one version stays true
/// until the next: a page costs its own rows, not a count of every asset. Each replica keeps its own totals; the
/// version lives in the store, so none of them serves another's stale count.
final class AssetListTotals: Sendable {
    private struct Kept {
        var version: Int64 = -1
        var totals: [String: Int] = [:]
    }

    /// Distinct filters (mostly `q` texts) kept for one version; past it they start again.
    static let maxKept = 1_000
    private let kept = Mutex(Kept())

    func total(version: Int64, filter key: String) -> Int? {
        kept.withLock { $0.version == version ? $0.totals[key] : nil }
    }

    func remember(_ total: Int, version: Int64, filter key: String) {
        kept.withLock { kept in
            // A count read at an older version than one already kept is dropped; a newer version replaces them all.
            if version < kept.version { return }
            if version > kept.version || kept.totals.count >= Self.maxKept { kept = Kept(version: version) }
            kept.totals[key] = total
        }
    }

    /// Marks the list changed; called inside the transaction that changed it.
    static func bump(on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE asset_list_version SET version = version + 1 WHERE id = 1").run()
    }

    static let versionColumn: SQLQueryString = "(SELECT v.version FROM asset_list_version v WHERE v.id = 1) AS list_version"
}
