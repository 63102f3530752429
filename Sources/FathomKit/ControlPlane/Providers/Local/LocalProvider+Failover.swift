import Foundation
import Logging

extension LocalProvider {
    /// Fences the primary, promotes the standby, then rebuilds the old primary as the new standby (pg_rewind, else a
    /// fresh base backup). Each step is recorded and a resumed run finds where it stopped from the nodes themselves
    /// (a standby has `standby.signal`). Until the promotion, the old primary is started again on failure; after
    /// it, the new primary has the data and the old node is only ever rebuilt from it. The result reports how long
    /// clients had no primary.
    public func failover(_ context: ProviderContext) async throws -> ProvisionResult {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        let oldPrimary = try primary(instance)
        guard let standby = standbys(instance).first else {
            throw AppError(.conflict, "Instance \(instance.id) has no standby to fail over to")
        }
        let oldNode = nodeDirectory(instance.id, port: oldPrimary.port)
        let newNode = nodeDirectory(instance.id, port: standby.port)
        let started = ContinuousClock.now
        if isStandby(newNode) {
            await context.progress(20, "fencing the primary")
            try await stop(oldNode, version: instance.version)
            try await context.step("failover.after-fence")
            await context.progress(40, "promoting the standby")
            do {
                if await !isRunning(newNode, version: instance.version) { try await start(newNode, version: instance.version) }
                try await tools.run("pg_ctl", version: instance.version, ["-D", newNode, "-w", "-t", "60", "promote"])
            } catch {
                // A promotion that went through despite the error (e.g. it was already under way) counts.
                if isStandby(newNode) {
                    // Not promoted: the old primary takes over again and nothing changed.
                    context.logger.warning("promotion failed; starting the old primary again")
                    do { try await start(oldNode, version: instance.version) } catch {
                        throw InstanceDown(message: "The standby could not be promoted and the old primary does not start (\(InstanceDown.reason(error)))")
                    }
                    throw error
                }
            }
            try await context.step("failover.after-promote")
        } else if await !isRunning(newNode, version: instance.version) {
            try await start(newNode, version: instance.version)
        }
        let unavailable = ContinuousClock.now - started
        let unavailableMillis = unavailable.components.seconds * 1000 + unavailable.components.attoseconds / 1_000_000_000_000_000
        await context.progress(60, "primary unavailable for \(unavailableMillis) ms; rebuilding the old primary")
        var report: [String: JSONValue] = ["unavailable_ms": .int(unavailableMillis)]
        var endpoints = [Endpoint(host: "127.0.0.1", port: standby.port, role: .primary)]
        do {
            try await rebuildOldPrimary(context, oldNode: oldNode, port: oldPrimary.port, from: standby.port, password: password)
            try await context.step("failover.after-standby-start")
            endpoints.append(Endpoint(host: "127.0.0.1", port: oldPrimary.port, role: .standby))
        } catch {
            // The new primary serves all the data; the instance runs without a standby until HA is applied again.
            context.logger.error("the old primary could not be rebuilt as a standby", metadata: ["error": .string("\(error)")])
            report["standby_error"] = .string(InstanceDown.reason(error))
        }
        return ProvisionResult(endpoints: endpoints, report: report)
    }

    func isStandby(_ node: String) -> Bool { FileManager.default.fileExists(atPath: "\(node)/standby.signal") }

    private func rebuildOldPrimary(_ context: ProviderContext, oldNode: String, port: Int, from sourcePort: Int, password: String) async throws {
        let instance = context.instance
        do {
            // A resumed run may find it already rewound and running as a standby.
            try await stop(oldNode, version: instance.version)
            try await tools.run(
                "pg_rewind", version: instance.version,
                [
                    "--target-pgdata=\(oldNode)", "-R",
                    "--source-server=host=127.0.0.1 port=\(sourcePort) user=postgres dbname=postgres",
                ],
                environment: ["PGPASSWORD": password])
            try await context.step("failover.after-rewind")
            // pg_rewind copied the new primary's configuration; give the node its own port back.
            try await configure(oldNode, instance: instance, port: port)
            try await start(oldNode, version: instance.version)
        } catch {
            context.logger.warning("pg_rewind failed; rebuilding the standby from a base backup")
            try await cloneStandby(instance, into: oldNode, port: port, fromPort: sourcePort, password: password)
        }
    }
}
