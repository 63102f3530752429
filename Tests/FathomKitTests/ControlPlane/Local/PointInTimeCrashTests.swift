@testable import FathomKit
import Foundation
import Testing

/// `fathom serve` killed at every step of a point-in-time restore, then started again: the restore is completed,
/// and the instance holds exactly the rows written before the moment each time.
@Suite(.enabled(if: TestPostgres.isAvailable || Backends.requirePostgres, "needs PostgreSQL"), .timeLimit(.minutes(12)))
struct PointInTimeCrashTests {
    typealias C = CrashRecoveryTests

    @Test func pointInTimeRestoreSurvivesAKillAtEveryStep() async throws {
        try await C.withServer(ports: 21340...21359) { server, project in
            let (create, body) = try await server.start("POST", "/v1/projects/\(project)/instances",
                #"{"name":"pitr","engine":"postgresql","backup_policy":{"enabled":false,"pitr_enabled":true}}"#)
            #expect(try await server.decided(project, create).0 == "SUCCEEDED")
            let id = try #require(body["instance"]?["id"]?.stringValue)
            try await C.insert(server, project, id, "base")
            let (backup, _) = try await server.start("POST", "/v1/projects/\(project)/instances/\(id)/backups", "{}")
            #expect(try await server.decided(project, backup).0 == "SUCCEEDED")
            try await C.insert(server, project, id, "before")
            try await Task.sleep(for: .milliseconds(1200))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let moment = formatter.string(from: Date())
            try await Task.sleep(for: .milliseconds(1200))
            for fault in ["restore.after-stop", "restore.after-unpack", "restore.after-move-aside", "restore.after-swap",
                          "restore.after-start", "restore.after-cleanup"] {
                try await C.insert(server, project, id, "after-\(fault)")
                try await C.run(server, project: project, [
                    C.Kill(fault: fault, method: "POST", path: "/v1/projects/\(project)/instances/\(id)/restore",
                        body: #"{"point_in_time":"\#(moment)"}"#) { server, _, _ in
                        try await C.expectHealthy(server, project, id, rows: ["base", "before"], standbys: 0, "pitr \(fault)")
                    },
                ])
            }
        }
    }
}
