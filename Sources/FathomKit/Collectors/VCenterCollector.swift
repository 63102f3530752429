import Foundation

/// The `vcenter` source type over the vSphere SOAP API: one container view per object type and the property
/// collector's paged retrieval, so the whole inventory costs a few round trips however many VMs there are.
/// Config `{endpoint, tls_verify, ca_bundle?, timeout_ms, page_size?}`, credential `{username, password}`.
struct VCenterCollector: BuiltInCollector {
    static let sourceType = "vcenter"
    static let defaultPageSize = 500

    func respond(to request: CollectorRequest) async -> JSONValue {
        do {
            return try await run(request).document()
        } catch let failure as CollectorFailure {
            return CollectorOutcome.failed(failure, prefix: "VCENTER")
        } catch {
            return CollectorOutcome.failed(CollectorFailure(.parseError, "unexpected failure: \(error)"), prefix: "VCENTER")
        }
    }

    private func run(_ request: CollectorRequest) async throws -> CollectorOutcome {
        let endpoint = try EndpointConfig(request.config)
        let pageSize = Int(request.config["page_size"]?.intValue ?? Int64(Self.defaultPageSize))
        guard (1...10_000).contains(pageSize) else {
            throw CollectorFailure(.configInvalid, "config.page_size must be from 1 to 10000", context: ["field": "page_size"])
        }
        let soap = VCenterSOAP(transport: try endpoint.transport(), endpoint: endpoint.endpoint)
        let content = try await soap.serviceContent()
        if request.mode == "detect" { return CollectorOutcome(detect: Self.detect(content)) }

        guard let username = request.credential["username"], let password = request.credential["password"],
            !username.isEmpty, !password.isEmpty
        else { throw CollectorFailure(.configInvalid, "the credential needs username and password", context: ["field": "credential"]) }
        guard let sessionManager = content.child("sessionManager")?.text, let viewManager = content.child("viewManager")?.text,
            let collector = content.child("propertyCollector")?.text, let root = content.child("rootFolder")?.text
        else { throw CollectorFailure(.parseError, "the service content lacks the session manager, view manager or property collector") }
        try await soap.login(sessionManager: sessionManager, username: username, password: password)

        var views: [String] = []
        func retrieve(_ type: String, _ paths: [String], pageSize: Int) async throws -> (objects: [VCenterSOAP.ObjectContent], pages: Int) {
            let view = try await soap.createContainerView(viewManager: viewManager, root: root, type: type)
            views.append(view)
            return try await soap.retrieve(collector: collector, view: view, type: type, paths: paths, pageSize: pageSize)
        }
        do {
            let outcome: CollectorOutcome
            if request.mode == "healthcheck" {
                // Reading one VM's name proves the login may read the inventory through a view.
                _ = try await retrieve("VirtualMachine", ["name"], pageSize: 1)
                outcome = CollectorOutcome()
            } else {
                var inventory = VCenterInventory()
                if request.mode != "collect_vms" {
                    let datastores = try await retrieve("Datastore", VCenterInventory.datastorePaths, pageSize: pageSize)
                    inventory.addDatastores(datastores.objects)
                    let clusters = try await retrieve("ClusterComputeResource", VCenterInventory.clusterPaths, pageSize: pageSize)
                    inventory.addClusters(clusters.objects)
                    let hosts = try await retrieve("HostSystem", VCenterInventory.hostPaths, pageSize: pageSize)
                    inventory.addHosts(hosts.objects)
                    inventory.pages += datastores.pages + clusters.pages + hosts.pages
                }
                if request.mode != "collect_hosts" {
                    let vms = try await retrieve("VirtualMachine", VCenterInventory.vmPaths, pageSize: pageSize)
                    inventory.addVMs(vms.objects)
                    inventory.pages += vms.pages
                }
                outcome = inventory.outcome()
            }
            await close(soap, views: views, sessionManager: sessionManager)
            return outcome
        } catch {
            await close(soap, views: views, sessionManager: sessionManager)
            throw error
        }
    }

    /// Views and the session are released on the server; a failure here changes nothing of the result.
    private func close(_ soap: VCenterSOAP, views: [String], sessionManager: String) async {
        for view in views { await soap.destroyView(view) }
        await soap.logout(sessionManager: sessionManager)
    }

    static func detect(_ content: XMLItem) -> JSONValue {
        let about = content.child("about")
        func text(_ name: String) -> JSONValue { about?.child(name).map { .string($0.text) } ?? .null }
        return [
            "target_version": text("version"), "driver": "vcenter@v1",
            "capabilities": [
                "build": text("build"), "api_version": text("apiVersion"), "api_type": text("apiType"),
                "full_name": text("fullName"), "instance_uuid": text("instanceUuid"), "paged_retrieval": true,
            ],
        ]
    }
}
