import Foundation

/// A node in the collection's scope and what was read from it.
struct PVENode: Sendable {
    var name: String
    var online: Bool
    /// The node's entry in `/nodes` (cpu, memory and disk figures, ssl fingerprint).
    var summary: JSONValue
    /// The address corosync knows it by (`/cluster/status`).
    var clusterAddress: String?
    /// Whether it is the node the endpoint points at.
    var local: Bool
    var status: JSONValue = .null
    var network: [JSONValue] = []
    var storage: [JSONValue] = []
    var guests: [PVEGuest] = []
    /// Why the node's inventory is missing or partial (offline, or a request to it failed); nil when whole.
    var problem: String?
}

/// A QEMU VM or LXC container, with its config and, for a running VM, what its guest agent said.
struct PVEGuest: Sendable {
    enum Agent: Sendable {
        /// The config does not enable the agent, or the guest is not running.
        case notAsked
        case answered(interfaces: JSONValue, hostname: String?, os: JSONValue)
        case silent
    }

    var type: String
    var vmid: String
    var summary: JSONValue
    var config: PVEGuestConfig
    var agent: Agent = .notAsked
    /// A running container's live interfaces (`/lxc/{vmid}/interfaces`).
    var interfaces: JSONValue = .null
}

/// Reads one node. Authentication and permission failures end the collection (they concern every node); anything
/// else — the node offline, a request to it failing — marks the node's inventory as missing, so the collect is
/// reported incomplete instead of silently short. The guest agent is the guest's own: its silence is a warning.
struct PVENodeReader: Sendable {
    let client: PVEClient
    let hosts: Bool
    let guests: Bool
    /// Guests of one node read at once (config, then agent calls one after another).
    static let parallelGuests = 4

    func read(_ node: PVENode) async throws -> PVENode {
        var node = node
        guard node.online else {
            node.problem = "node \(node.name) is offline"
            return node
        }
        let path = "/nodes/\(PVEClient.segment(node.name))"
        do {
            if hosts {
                node.status = try await client.get("\(path)/status")
                node.network = try await client.get("\(path)/network").arrayElements
                node.storage = try await client.get("\(path)/storage").arrayElements
            }
            if guests {
                let vms = try await client.get("\(path)/qemu").arrayElements.map { ("qemu", $0) }
                let containers = try await client.get("\(path)/lxc").arrayElements.map { ("lxc", $0) }
                let listed = (vms + containers).filter { $1["vmid"].flatMap(Self.vmid) != nil }
                node.guests = try await BoundedConcurrency.map(listed, limit: Self.parallelGuests) { type, summary in
                    try await readGuest(type: type, summary: summary, path: path)
                }
            }
        } catch let failure as CollectorFailure where ![.authFailed, .permissionDenied, .configInvalid].contains(failure.kind) {
            node.problem = "node \(node.name) did not answer: \(failure.message)"
        }
        return node
    }

    private func readGuest(type: String, summary: JSONValue, path: String) async throws -> PVEGuest {
        let vmid = summary["vmid"].flatMap(Self.vmid) ?? ""
        let guestPath = "\(path)/\(type)/\(vmid)"
        var guest = PVEGuest(type: type, vmid: vmid, summary: summary, config: PVEGuestConfig(try await client.get("\(guestPath)/config")))
        guard summary["status"]?.stringValue == "running" else { return guest }
        if type == "lxc" {
            guest.interfaces = (try? await client.get("\(guestPath)/interfaces")) ?? .null
        } else if Self.agentEnabled(guest.config.text("agent")) {
            do {
                let interfaces = try await client.get("\(guestPath)/agent/network-get-interfaces")["result"] ?? .null
                let hostname = try? await client.get("\(guestPath)/agent/get-host-name")["result"]?["host-name"]?.stringValue
                let os = (try? await client.get("\(guestPath)/agent/get-osinfo")["result"]) ?? .null
                guest.agent = .answered(interfaces: interfaces, hostname: hostname, os: os)
            } catch let failure as CollectorFailure where failure.kind == .authFailed {
                throw failure
            } catch {
                guest.agent = .silent
            }
        }
        return guest
    }

    /// `agent: 1` or `agent: enabled=1,fstrim_cloned_disks=1`.
    static func agentEnabled(_ value: String?) -> Bool {
        guard let value else { return false }
        let options = PVEGuestConfig.options(value)
        return (options["enabled"] ?? options[""]) == "1"
    }

    /// QEMU lists vmids as numbers, LXC (in some versions) as strings.
    static func vmid(_ value: JSONValue) -> String? {
        if let number = value.intValue { return String(number) }
        if let text = value.stringValue, !text.isEmpty, text.allSatisfy(\.isNumber) { return text }
        return nil
    }
}
