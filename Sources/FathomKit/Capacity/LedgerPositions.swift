import SQLKit
import Synchronization

/// How many active databases each instance holds, in ledger order (instance name, then id), per instance filter:
/// what lets a ledger page start reading at the right instance without a running sum over every instance on each
/// request. Kept for at most a second. Changes made through this process (collections, instance renames, label
/// changes, deletions) drop it at once; changes made by another replica show within the second. The page's rows
/// themselves are always read live.
public final class LedgerPositions: Sendable {
    struct Instance: Sendable {
        var name: String
        var id: Int64
        var databases: Int
    }

    private struct Entry {
        var instances: [Instance]
        var at: ContinuousClock.Instant
    }

    private struct State {
        var generation = 0
        var entries: [String: Entry] = [:]
    }

    private let state = Mutex(State())
    static let lifetime: Duration = .seconds(1)

    public init() {}

    /// Something the ledger's order or counts depend on has changed.
    public func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }

    /// The instances matching `filter` with their active database counts, from the cache or the store.
    func instances(_ filter: LedgerQuery.Filter, on db: any SQLDatabase) async throws -> [Instance] {
        let now = ContinuousClock.now
        let (cached, generation) = state.withLock { state -> ([Instance]?, Int) in
            guard let entry = state.entries[filter.instanceKey], now - entry.at < Self.lifetime else { return (nil, state.generation) }
            return (entry.instances, state.generation)
        }
        if let cached { return cached }
        let instances = try await InventoryStore.ledgerInstances(filter.instance, on: db)
        state.withLock { state in
            // A change that landed while this was read makes it stale already.
            guard state.generation == generation else { return }
            if state.entries.count >= 256 { state.entries.removeAll() }
            state.entries[filter.instanceKey] = Entry(instances: instances, at: now)
        }
        return instances
    }
}
