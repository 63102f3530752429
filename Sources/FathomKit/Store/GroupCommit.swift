import Synchronization

/// Groups concurrent writes into shared transactions: while one batch is being committed, the next accumulates.
/// On SQLite (one writer) this turns N commits into a few; on PostgreSQL it saves round trips. Each caller still
/// waits for its own item to be committed and gets its own answer.
final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    private struct Pending {
        var items: [(Item, CheckedContinuation<Output, any Error>)] = []
        var flushing = false
    }

    private let commit: @Sendable ([Item]) async throws -> [Output]
    private let state = Mutex(Pending())
    private let maxBatch: Int

    /// `commit` writes a batch in one transaction and answers for each item, in order.
    init(maxBatch: Int = 200, commit: @escaping @Sendable ([Item]) async throws -> [Output]) {
        self.maxBatch = maxBatch
        self.commit = commit
    }

    func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startFlushing = state.withLock { state -> Bool in
                state.items.append((item, continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if startFlushing { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [(Item, CheckedContinuation<Output, any Error>)] in
                let batch = Array(state.items.prefix(maxBatch))
                state.items.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await commit(batch.map(\.0))
                for (index, entry) in batch.enumerated() { entry.1.resume(returning: results[index]) }
            } catch {
                for entry in batch { entry.1.resume(throwing: error) }
            }
        }
    }
}
