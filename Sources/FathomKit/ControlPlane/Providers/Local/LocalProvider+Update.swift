import Foundation
import Logging

extension LocalProvider {
    /// Applies new resources (settings need a restart: standby first, so it never has fewer slots than the primary)
    /// and adds or removes the standby. Every step can run again: a resumed run first drops a standby that an
    /// interrupted run was still building (a copy, never the only one), then redoes the steps. A primary that
    /// will not start with the new settings is started again with the old ones.
    public func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        if context.resuming { try await removeUnlistedNodes(old) }
        let primaryEndpoint = try primary(old)
        var endpoints = [primaryEndpoint]
        for endpoint in standbys(old) {
            let node = nodeDirectory(instance.id, port: endpoint.port)
            if instance.highAvailability {
                try await configure(node, instance: instance, port: endpoint.port)
                try await stop(node, version: instance.version)
                try await start(node, version: instance.version)
                try await context.step("update.after-standby-restart")
                endpoints.append(endpoint)
            } else {
                await context.progress(40, "removing the standby")
                try await stop(node, version: instance.version)
                try? FileManager.default.removeItem(atPath: node)
                try await context.step("update.after-standby-removal")
            }
        }
        let primaryNode = nodeDirectory(instance.id, port: primaryEndpoint.port)
        await context.progress(60, "restarting with new settings")
        try await configure(primaryNode, instance: instance, port: primaryEndpoint.port)
        try await stop(primaryNode, version: instance.version)
        try await context.step("update.after-primary-stop")
        do {
            try await start(primaryNode, version: instance.version)
        } catch {
            context.logger.warning("the primary does not start with the new settings; starting it with the old ones")
            try await configure(primaryNode, instance: old, port: primaryEndpoint.port)
            do { try await start(primaryNode, version: instance.version) } catch {
                throw InstanceDown(message: "The primary starts neither with the new settings nor with the old ones (\(InstanceDown.reason(error))); its data is kept at \(primaryNode)")
            }
            throw error
        }
        try await context.step("update.after-primary-start")
        if instance.highAvailability && standbys(old).isEmpty {
            await context.progress(80, "creating the standby")
            endpoints.append(try await addStandby(instance, primaryPort: primaryEndpoint.port, password: password))
            try await context.step("update.after-standby-create")
        }
        return ProvisionResult(endpoints: endpoints)
    }

    /// Stops and removes `node-<port>` directories that are not among the instance's endpoints: standbys an
    /// interrupted run was building. Scratch copies of a restore have other names and are left alone.
    func removeUnlistedNodes(_ instance: Instance) async throws {
        let directory = instanceDirectory(instance.id)
        let listed = Set(instance.endpoints.map { "node-\($0.port)" })
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where entry.hasPrefix("node-") && Int(entry.dropFirst(5)) != nil && !listed.contains(entry) {
            try await stop("\(directory)/\(entry)", version: instance.version)
            try FileManager.default.removeItem(atPath: "\(directory)/\(entry)")
        }
    }
}
