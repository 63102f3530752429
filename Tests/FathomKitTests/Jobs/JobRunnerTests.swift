@testable import FathomKit
import Foundation
import Logging
import SQLKit
import Testing

/// Runner options for tests: fast heartbeats and polling.
func fastRunner(_ services: AppServices, concurrency: Int = 4) -> JobRunner {
    var options = JobRunner.Options()
    options.concurrency = concurrency
    options.heartbeat = .milliseconds(200)
    options.poll = .milliseconds(50)
    options.recoveryInterval = .milliseconds(200)
    options.shutdownGrace = .seconds(2)
    var logger = Logger(label: "runner")
    logger.logLevel = .critical
    return JobRunner(queue: services.jobs, registry: services.jobKinds, options: options, logger: logger, metrics: services.metrics)
}

/// A second replica on the same store.
func replica(of harness: Harness) async throws -> AppServices {
    var logger = Logger(label: "replica")
    logger.logLevel = .critical
    return try await AppServices.open(configuration: harness.services.configuration, clock: harness.clock.wallClock, logger: logger)
}

/// Inserts `count` jobs in one transaction.
func enqueueMany(_ services: AppServices, kind: String, count: Int) async throws {
    let now = services.clock.millis()
    try await services.store.write { db in
        for index in 0..<count {
            _ = try await JobQueue.insert(NewJob(kind: kind, payload: ["n": .int(Int64(index))]), maxAttempts: 3, now: now, on: db)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct JobRunnerTests {
    @Test(arguments: Backends.all)
    func thousandJobsOverTwoRunnersRunExactlyOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let second = try await replica(of: harness)
            let runs = Recorder<(Int64, String)>()
            for services in [harness.services, second] {
                services.jobKinds.register(JobKind("test.count") { context in
                    await runs.record((context.job.id, context.job.leaseOwner ?? ""))
                    return nil
                })
            }
            try await enqueueMany(harness.services, kind: "test.count", count: 1000)
            let runnerA = fastRunner(harness.services, concurrency: 8)
            let runnerB = fastRunner(second, concurrency: 8)
            let loopsA = runnerA.start()
            let loopsB = runnerB.start()
            let done = try await waitUntil(timeout: .seconds(120)) {
                try await harness.services.jobs.list(kind: "test.count", state: .succeeded, offset: 0, limit: 1).total == 1000
            }
            await runnerA.stop(loopsA)
            await runnerB.stop(loopsB)
            await second.store.close()
            #expect(done)
            let values = await runs.values
            #expect(values.count == 1000)
            #expect(Set(values.map(\.0)).count == 1000)
            let owners = Dictionary(grouping: values, by: \.1).mapValues(\.count)
            #expect(owners[runnerA.owner, default: 0] > 0 && owners[runnerB.owner, default: 0] > 0, "\(owners.values)")
            let failed = try await harness.services.jobs.list(kind: "test.count", state: .failed, offset: 0, limit: 1).total
            #expect(failed == 0)
        }
    }

    @Test(arguments: Backends.all)
    func jobOfADeadWorkerIsRecoveredAndSeesTheRetry(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let attempts = Recorder<Int>()
            services.jobKinds.register(JobKind("test.recoverable") { context in
                await attempts.record(context.attempt)
                return ["attempt": .int(Int64(context.attempt))]
            })
            services.jobKinds.register(JobKind("test.not-repeatable", retryAfterWorkerLoss: false) { _ in nil })
            let recoverable = try await services.enqueue(NewJob(kind: "test.recoverable"))
            let once = try await services.enqueue(NewJob(kind: "test.not-repeatable"))
            // A worker claims both and dies: no heartbeats, no outcome.
            let claimed = try await services.jobs.claim(
                owner: "dead-worker", kinds: ["test.recoverable", "test.not-repeatable"], limit: 10, leaseMillis: 30_000)
            #expect(claimed.count == 2)
            harness.clock.advance(by: 31)

            let runner = fastRunner(services)
            let loops = runner.start()
            let finished = try await waitUntil {
                let a = try await services.jobs.get(recoverable)?.state
                let b = try await services.jobs.get(once)?.state
                return a == .succeeded && b == .failed
            }
            await runner.stop(loops)
            #expect(finished)
            #expect(await attempts.values == [2])
            let recovered = try #require(try await services.jobs.get(recoverable))
            #expect(recovered.attempts == 2)
            #expect(recovered.result?["attempt"] == 2)
            #expect(try await services.jobs.get(once)?.errorCode == "JOB_LEASE_EXPIRED")
        }
    }

    @Test(arguments: Backends.all)
    func retryableErrorsBackOffAndOthersFailAtOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            services.jobKinds.register(JobKind("test.flaky", maxAttempts: 3, backoff: .seconds(5)) { context in
                if context.attempt == 1 { throw AppError(.databaseConnectionError, "target unreachable") }
                return nil
            })
            services.jobKinds.register(JobKind("test.broken") { _ in throw AppError(.configInvalidRequest, "bad payload") })
            services.jobKinds.register(JobKind("test.slow", timeout: .milliseconds(200)) { _ in
                try await Task.sleep(for: .seconds(30))
                return nil
            })
            let flaky = try await services.enqueue(NewJob(kind: "test.flaky"))
            let broken = try await services.enqueue(NewJob(kind: "test.broken"))
            let slow = try await services.enqueue(NewJob(kind: "test.slow", maxAttempts: 1))
            let runner = fastRunner(services)
            let loops = runner.start()
            #expect(try await waitUntil { try await services.jobs.get(flaky)?.errorCode == "DATABASE_CONNECTION_ERROR" })
            let waiting = try #require(try await services.jobs.get(flaky))
            #expect(waiting.state == .queued)
            // The retry waits for its backoff (5 s ± 20 %) on the store's clock.
            #expect(waiting.notBefore - services.clock.millis() >= 3_900)
            harness.clock.advance(by: 7)
            runner.wake()
            #expect(try await waitUntil { try await services.jobs.get(flaky)?.state == .succeeded })
            #expect(try await waitUntil { try await services.jobs.get(slow)?.state == .failed })
            await runner.stop(loops)
            #expect(try await services.jobs.get(flaky)?.attempts == 2)
            let brokenJob = try #require(try await services.jobs.get(broken))
            #expect(brokenJob.state == .failed && brokenJob.attempts == 1)
            #expect(brokenJob.errorCode == "CONFIG_INVALID_REQUEST")
            #expect(try await services.jobs.get(slow)?.errorCode == "JOB_TIMEOUT")
        }
    }

    @Test(arguments: Backends.all)
    func shutdownReleasesRunningJobsForAnotherWorker(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let attempts = Recorder<Int>()
            services.jobKinds.register(JobKind("test.long") { context in
                await attempts.record(context.attempt)
                if context.attempt == 1 { try await Task.sleep(for: .seconds(60)) }
                return nil
            })
            let id = try await services.enqueue(NewJob(kind: "test.long"))
            let first = fastRunner(services)
            let loops = first.start()
            #expect(try await waitUntil { await attempts.values.count == 1 })
            await first.stop(loops)
            let released = try await services.jobs.get(id)
            #expect(released?.state == .queued, "\(String(describing: released))")
            let second = fastRunner(services)
            let secondLoops = second.start()
            #expect(try await waitUntil { try await services.jobs.get(id)?.state == .succeeded })
            await second.stop(secondLoops)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct JobProgressTests {
    @Test(arguments: Backends.all)
    func progressIsVisibleWhileTheJobRuns(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let release = ManagedFlag()
            services.jobKinds.register(JobKind("test.progress") { context in
                await context.progress(40, "copying files")
                while !release.isSet { try await Task.sleep(for: .milliseconds(10)) }
                return ["copied": 3]
            })
            let id = try await services.enqueue(NewJob(kind: "test.progress"))
            let runner = fastRunner(services)
            let loops = runner.start()
            #expect(try await waitUntil { try await services.jobs.get(id)?.progressPercent == 40 })
            try await harness.test { client in
                let token = try await client.createToken(try await client.adminSession(), role: .viewer)
                let running = try await client.send(.get, "/api/v1/task-runs/\(id)", auth: .bearer(token))
                #expect(running.json["data"]?["state"] == "running")
                #expect(running.json["data"]?["progress_percent"] == 40)
                #expect(running.json["data"]?["progress_message"] == "copying files")
            }
            release.set()
            #expect(try await waitUntil { try await services.jobs.get(id)?.state == .succeeded })
            await runner.stop(loops)
            let done = try #require(try await services.jobs.get(id))
            #expect(done.progressPercent == 100)
            #expect(done.result?["copied"] == 3)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ServerRoleTests {
    @Test func workerRoleServesOnlyProbesAndMetrics() async throws {
        try await Harness.with(.sqlite, configure: { $0.role = .worker }) { harness in
            let statuses = try await harness.test { client in
                [
                    try await client.send(.get, "/healthz").status, try await client.send(.get, "/metrics").status,
                    try await client.send(.post, "/api/v1/auth/login", json: "{}").status,
                ]
            }
            #expect(statuses == [.ok, .ok, .notFound])
        }
    }
}
