import Logging

/// Runs one piece of work per instance, a few at a time, where one failing instance fails alone: what the capacity
/// collection and the account sync both do over the fleet.
enum InstanceFanOut {
    struct Outcome: Sendable {
        var succeeded = 0
        /// The sum of what the successful items counted (databases, accounts …).
        var counted = 0
        /// One `{instance_id, id, error}` per failed instance.
        var failed: [[String: String]] = []
    }

    static func run(
        _ instances: [Instance], concurrency: Int, what: String, logger: Logger,
        progress: @escaping @Sendable (Int, String) async -> Void,
        _ work: @escaping @Sendable (Instance) async throws -> Int
    ) async throws -> Outcome {
        var outcome = Outcome()
        var done = 0
        try await withThrowingTaskGroup(of: (Instance, Result<Int, any Error>).self) { group in
            var pending = instances.makeIterator()
            func startNext() {
                guard let instance = pending.next() else { return }
                group.addTask {
                    do {
                        return (instance, .success(try await work(instance)))
                    } catch {
                        return (instance, .failure(error))
                    }
                }
            }
            for _ in 0..<max(1, concurrency) { startNext() }
            while let (instance, result) = try await group.next() {
                done += 1
                switch result {
                case .success(let count):
                    outcome.succeeded += 1
                    outcome.counted += count
                case .failure(let error):
                    let message = (error as? AppError)?.message ?? "\(what) timed out or failed (\(type(of: error)))"
                    logger.warning("\(what) failed", metadata: ["instance_id": .string(instance.id), "error": .string(message)])
                    outcome.failed.append(["instance_id": String(instance.instanceId), "id": instance.id, "error": message])
                }
                await progress(instances.isEmpty ? 100 : done * 100 / instances.count, "\(done)/\(instances.count) instances")
                startNext()
            }
        }
        return outcome
    }
}
