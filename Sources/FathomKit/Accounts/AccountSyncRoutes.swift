import Foundation
import Hummingbird

/// `POST /api/v1/instances[/{instance_id}]/actions/sync-accounts`: sync accounts now, as a task run.
struct AccountSyncRoutes: RouteGroup {
    let store: Store
    let enqueue: @Sendable (NewJob) async throws -> Int64

    var endpoints: [Route] {
        [
            Route(.post, "/api/v1/instances/actions/sync-accounts", access: .permission(.update), tag: "accounts",
                summary: "Sync the accounts and privileges of every instance now (a task run)", bodyRequired: false, syncAll),
            Route(.post, "/api/v1/instances/{instance_id}/actions/sync-accounts", access: .permission(.update), tag: "accounts",
                summary: "Sync one instance's accounts and privileges now (a task run)", bodyRequired: false, syncInstance),
        ]
    }

    func syncAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try await enqueue(NewJob(kind: AccountsJobs.sync, priority: 10))
        return try context.envelope(["run_id": id])
    }

    func syncInstance(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let instanceId = try PathID.int(context, "instance_id", what: "Instance")
        try AccountScope.require(instanceId, in: try await AccountScope.visibleInstances(context, store: store))
        guard try await store.read({ db in try await AccountQuery.instanceExists(instanceId, on: db) }) else {
            throw AppError(.notFound, "Instance \(instanceId) not found")
        }
        let id = try await enqueue(NewJob(kind: AccountsJobs.sync, payload: ["instance_ids": [.int(instanceId)]], priority: 10))
        return try context.envelope(["run_id": id, "instance_id": instanceId])
    }
}
