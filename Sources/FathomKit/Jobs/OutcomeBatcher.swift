import Synchronization

/// Groups job outcomes into shared transactions: while one batch is being written, the next accumulates.
/// On SQLite (one writer) this turns N commits into a few; on PostgreSQL it saves round trips.
final class OutcomeBatcher: Sendable {
    private struct Pending {
        var items: [(JobQueue.Finish, CheckedContinuation<Bool, any Error>)] = []
        var flushing = false
    }

    private let queue: JobQueue
    private let state = Mutex(Pending())
    private let maxBatch = 200

    init(queue: JobQueue) {
        self.queue = queue
    }

    /// Records the outcome; returns whether the lease still held (false: another worker owns the job now).
    func record(_ item: JobQueue.Finish) async throws -> Bool {
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
            let batch = state.withLock { state -> [(JobQueue.Finish, CheckedContinuation<Bool, any Error>)] in
                let batch = Array(state.items.prefix(maxBatch))
                state.items.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await queue.finish(batch.map(\.0))
                for (index, entry) in batch.enumerated() { entry.1.resume(returning: results[index]) }
            } catch {
                for entry in batch { entry.1.resume(throwing: error) }
            }
        }
    }
}
