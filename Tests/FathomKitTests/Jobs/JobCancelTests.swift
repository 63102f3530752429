@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(5))) struct JobCancelTests {
    @Test(arguments: Backends.all)
    func cancellingAQueuedJobIsImmediate(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let id = try await harness.services.enqueue(NewJob(kind: JobCatalog.pruneJobs, notBefore: Date().addingTimeInterval(3600)))
            try await harness.test { client in
                let admin = try await client.adminSession()
                let cancelled = try await client.send(.post, "/api/v1/task-runs/\(id)/actions/cancel", auth: .session(admin))
                #expect(cancelled.status == .ok)
                #expect(cancelled.json["data"]?["state"] == "cancelled")
                let again = try await client.send(.post, "/api/v1/task-runs/\(id)/actions/cancel", auth: .session(admin))
                #expect(again.status == .conflict)
                #expect(again.errorCode == "JOB_ALREADY_FINISHED")
                let missing = try await client.send(.post, "/api/v1/task-runs/999999/actions/cancel", auth: .session(admin))
                #expect(missing.status == .notFound)
            }
        }
    }

    /// A running job with a child process (which has a child of its own) is cancelled from another replica's API:
    /// the worker learns of it at its next heartbeat, the process group is killed and the job ends `cancelled`.
    @Test(arguments: Backends.all)
    func cancellingARunningJobKillsItsProcessGroup(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let childPid = Mutex<Int32>(0)
            services.jobKinds.register(JobKind("test.child-process") { _ in
                _ = try await Subprocess.run("/bin/sh", ["-c", "sleep 60 & sleep 60; wait"]) { pid in
                    childPid.withLock { $0 = pid }
                }
                return nil
            })
            let id = try await services.enqueue(NewJob(kind: "test.child-process"))
            let runner = fastRunner(services)
            let loops = runner.start()
            #expect(try await waitUntil { childPid.withLock { $0 } != 0 })
            let pid = childPid.withLock { $0 }
            #expect(processAlive(pid))

            let other = try await replica(of: harness)
            let started = ContinuousClock.now
            try await buildApplication(services: other).test(.router) { client in
                let admin = try await client.adminSession()
                let response = try await client.send(.post, "/api/v1/task-runs/\(id)/actions/cancel", auth: .session(admin))
                #expect(response.status == .ok)
                #expect(response.json["data"]?["cancel_requested"] == true)
            }
            #expect(try await waitUntil(timeout: .seconds(10)) { try await services.jobs.get(id)?.state == .cancelled })
            // A few heartbeats plus the kill grace; generous because the whole suite shares two cores.
            #expect(ContinuousClock.now - started < .seconds(15))
            #expect(!processAlive(pid))
            // Nothing of the group is left either.
            #expect(try await waitUntil(timeout: .seconds(5)) { !Self.groupHasMembers(pid) })
            await runner.stop(loops)
            await other.store.close()
        }
    }

    @Test func cancelInTheSameProcessIsImmediate() async throws {
        try await Harness.with(.sqlite) { harness in
            let services = harness.services
            services.jobKinds.register(JobKind("test.wait") { _ in
                try await Task.sleep(for: .seconds(60))
                return nil
            })
            let id = try await services.enqueue(NewJob(kind: "test.wait"))
            let runner = fastRunner(services)
            let loops = runner.start()
            #expect(try await waitUntil { try await services.jobs.get(id)?.state == .running })
            _ = try await services.jobs.requestCancel(id)
            runner.cancelLocally(id)
            // Alone this takes ~0.1 s; the bound is generous because the whole suite runs in parallel on 2 cores
            // (it once took over 3 s there).
            #expect(try await waitUntil(timeout: .seconds(10)) { try await services.jobs.get(id)?.state == .cancelled })
            await runner.stop(loops)
        }
    }

    @Test func subprocessReportsStatusAndOutput() async throws {
        let result = try await Subprocess.run("/bin/sh", ["-c", "echo hello; echo oops >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.output.contains("hello"))
        #expect(result.output.contains("oops"))
        await #expect(throws: Subprocess.LaunchError.self) { try await Subprocess.run("/nonexistent/tool", []) }
    }

    @Test func childProcessesInheritNoDescriptors() async throws {
        // A descriptor of ours (e.g. the HTTP listening socket) must not reach servers started through Subprocess.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-fd-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data())
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        let fd = handle.fileDescriptor
        #expect(fd > 2)
        let result = try await Subprocess.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        let inherited = result.output.split(separator: "\n").compactMap { Int32($0) }
        #expect(!inherited.contains(fd), "child saw descriptor \(fd): \(inherited)")
    }

    static func groupHasMembers(_ pgid: Int32) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), processAlive(pid),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 3, Int32(fields[3]) == pgid { return true }
        }
        return false
    }
}
