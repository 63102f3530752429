@testable import FathomKit
import Foundation
import SQLKit
import Testing

/// A server killed between failing an abandoned operation's job and releasing its instance (found by
/// scripts/chaos.sh: an instance left CREATING for ever) is repaired by `releaseGivenUp`.
@Suite(.timeLimit(.minutes(5))) struct GiveUpReleaseTests {
    @Test(arguments: Backends.all)
    func aGiveUpCutShortByACrashIsFinishedLater(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await StoreInvariantsTests.Fixture.make(harness)
            let id = fixture.instance.id
            // What the killed recovery left: the create's job failed as given up, the instance still CREATING.
            try await fixture.sql(
                "UPDATE jobs SET state = 'failed', attempts = 3, error_code = 'JOB_LEASE_EXPIRED' WHERE id = \(bind: fixture.jobId)")
            try await fixture.sql(
                "UPDATE instances SET state = 'CREATING', active_operation_id = \(bind: fixture.operationId) WHERE id = \(bind: id)")
            // A backup whose create was given up the same way.
            let backupJob = try await harness.services.enqueue(NewJob(kind: "dbaas.create_backup"))
            try await fixture.sql(
                "UPDATE jobs SET state = 'failed', attempts = 3, error_code = 'JOB_LEASE_EXPIRED' WHERE id = \(bind: backupJob)")
            try await fixture.sql(
                """
                INSERT INTO operations (id, project_id, instance_id, type, job_id, target_type, target_id, parameters, created_by, created_at)
                VALUES ('op-backup', 'proj-check', \(bind: id), 'CREATE_BACKUP', \(bind: backupJob), 'backup', 'bkp-given-up', '{}', 'admin', 0)
                """)
            try await fixture.sql(
                "INSERT INTO backups (id, project_id, instance_id, kind, state, created_at) VALUES ('bkp-given-up', 'proj-check', \(bind: id), 'full', 'RUNNING', 0)")
            #expect(try await fixture.failing().contains("instances_settled"))

            #expect(try await harness.services.controlPlane.releaseGivenUp() == 2)
            let instance = try #require(try await fixture.store.read { db in try await InstanceStore.find(id: id, on: db) })
            #expect(instance.state == .FAILED)
            #expect(instance.activeOperationId == nil)
            let backup = try await fixture.store.read { db in
                try await db.raw("SELECT state FROM backups WHERE id = 'bkp-given-up'").first()?.string("state")
            }
            #expect(backup == "FAILED")
            #expect(try await fixture.failing() == [])
            // Nothing is left to release.
            #expect(try await harness.services.controlPlane.releaseGivenUp() == 0)
        }
    }
}
