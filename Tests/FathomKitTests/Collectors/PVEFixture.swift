@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A Proxmox VE API stand-in on loopback over HTTPS (a certificate from `TestCertificates`): `/api2/json` answers in
/// the shapes Proxmox documents (version, cluster status, nodes, node status/network/storage, QEMU and LXC lists
/// and configs, guest agent), for an inventory the tests change between runs — migrate a VM, take a node down.
final class PVEFixture: Sendable {
    struct Guest: Sendable {
        var type: String
        var vmid: Int
        var name: String
        var node: String
        var running: Bool
        var config: JSONValue
        /// The guest agent's addresses (nil: the agent is not enabled or not answering).
        var agentAddresses: [String]?
    }

    struct Node: Sendable {
        var name: String
        var address: String
        var online = true
        /// Online in the lists, but every request to it fails as a dead proxy target does (HTTP 595).
        var unreachable = false
    }

    struct State: Sendable {
        var clusterName: String?
        var nodes: [Node]
        var guests: [Guest]
        var requests: [String] = []
        /// Each answer waits this long (so requests overlap and the collector's bounds can be seen).
        var delayMillis = 0
        var nodesInFlight: [String: Int] = [:]
        /// The most nodes being asked about at the same moment.
        var maxNodesInFlight = 0
        var requestsInFlight = 0
        var maxRequestsInFlight = 0
    }

    static let token = "monitor@pve!fathom=6f1c7a52-8a3e-4c1a-9d7e-2b5f0e4a9c11"
    static let username = "root@pam"
    static let password = "pve-secret-1"
    static let ticket = "PVE:root@pam:66B0C0DE::c2lnbmF0dXJl"
    static let csrf = "66B0C0DE:Y3NyZg"

    /// The inventory, changed by the tests while the server answers from it.
    final class Shared: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }
    }

    let shared: Shared
    let port: Int
    var endpoint: String { "https://127.0.0.1:\(port)" }
    private let task: Task<Void, any Error>

    /// One node `pve1` with VM 100 (agent, 10.20.0.11), stopped VM 101 and container 200 (10.20.0.50).
    static func standalone() -> State {
        State(clusterName: nil, nodes: [Node(name: "pve1", address: "10.10.0.11")], guests: [
            vm(100, "db-vm-01", on: "pve1", agent: ["10.20.0.11"]), vm(101, "build-vm", on: "pve1", running: false),
            container(200, "ct-web", on: "pve1", address: "10.20.0.50"),
        ])
    }

    /// Cluster `prod` of pve1–pve3, two VMs and a container spread over them.
    static func cluster() -> State {
        State(clusterName: "prod", nodes: (1...3).map { Node(name: "pve\($0)", address: "10.10.0.1\($0)") }, guests: [
            vm(100, "db-vm-01", on: "pve1", agent: ["10.20.0.11"]), vm(101, "app-vm-01", on: "pve2", agent: ["10.20.0.12"]),
            container(200, "ct-web", on: "pve3", address: "10.20.0.50"),
        ])
    }

    static func vm(_ vmid: Int, _ name: String, on node: String, running: Bool = true, agent: [String]? = nil) -> Guest {
        let mac = String(format: "BC:24:11:5A:%02X:%02X", vmid / 256, vmid % 256)
        return Guest(type: "qemu", vmid: vmid, name: name, node: node, running: running, config: [
            "name": .string(name), "cores": 2, "sockets": 2, "memory": "8192", "ostype": "l26",
            "smbios1": .string("uuid=5E0F6A32-1C2B-4D3E-8F40-\(String(format: "%012d", vmid))"),
            "net0": .string("virtio=\(mac),bridge=vmbr0,firewall=1"),
            "scsi0": .string("local-lvm:vm-\(vmid)-disk-0,iothread=1,size=32G"), "ide2": "none,media=cdrom",
            "agent": agent == nil ? "0" : "1", "boot": "order=scsi0;ide2;net0", "scsihw": "virtio-scsi-single",
            "vmgenid": "0c9b3a4e-7f61-4f0e-9d52-6e2b1a3c4d5f", "digest": "3c6e3b0f5e1d2a9b8c7d6e5f4a3b2c1d0e9f8a7b",
        ], agentAddresses: agent)
    }

    static func container(_ vmid: Int, _ name: String, on node: String, address: String) -> Guest {
        Guest(type: "lxc", vmid: vmid, name: name, node: node, running: true, config: [
            "hostname": .string(name), "arch": "amd64", "cores": 1, "memory": 512, "swap": 512, "ostype": "debian",
            "net0": .string("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:C7:00:C8,ip=\(address)/24,gw=10.20.0.1,type=veth"),
            "rootfs": .string("local-lvm:vm-\(vmid)-disk-0,size=8G"), "digest": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
        ], agentAddresses: nil)
    }

    /// Starts the server with `initial`; its certificate is signed by `TestCertificates.shared`'s issuer.
    init(_ initial: State) async throws {
        let certificates = try await TestCertificates.shared().issuer
        let state = Shared(initial)
        shared = state
        let router = Router()
        router.get("**") { request, _ in
            let path = request.uri.path
            let delay = Self.begin(state, path)
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            defer { Self.end(state, path) }
            return Self.answer(state, method: "GET", path, headers: request.headers, body: "")
        }
        router.post("**") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            return Self.answer(state, method: "POST", request.uri.path, headers: request.headers, body: String(buffer: body))
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.keyPath, format: .pem)))
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "pve-fixture")
        logger.logLevel = .critical
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                ports.continuation.yield(channel.localAddress?.port ?? 0)
                ports.continuation.finish()
            }, logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw HarnessFailure("the PVE fixture did not start")
        }
        self.port = port
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func change(_ body: (inout State) -> Void) { shared.mutex.withLock { body(&$0) } }

    /// A live migration: the guest's config moves to the other node's directory, nothing else about it changes.
    func migrate(_ vmid: Int, to node: String) { change { state in
        for index in state.guests.indices where state.guests[index].vmid == vmid { state.guests[index].node = node }
    } }

    var requests: [String] { shared.mutex.withLock { $0.requests } }

    // MARK: Concurrency accounting

    /// The node a path asks about (`/api2/json/nodes/{node}/…`), if any.
    private static func node(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        return parts.count > 3 && parts[2] == "nodes" ? String(parts[3]) : nil
    }

    private static func begin(_ shared: Shared, _ path: String) -> Int {
        shared.mutex.withLock { state in
            state.requestsInFlight += 1
            state.maxRequestsInFlight = max(state.maxRequestsInFlight, state.requestsInFlight)
            if let node = node(path) {
                state.nodesInFlight[node, default: 0] += 1
                state.maxNodesInFlight = max(state.maxNodesInFlight, state.nodesInFlight.values.filter { $0 > 0 }.count)
            }
            return state.delayMillis
        }
    }

    private static func end(_ shared: Shared, _ path: String) {
        shared.mutex.withLock { state in
            state.requestsInFlight -= 1
            if let node = node(path) { state.nodesInFlight[node, default: 1] -= 1 }
        }
    }

    // MARK: The API

    private static func answer(_ shared: Shared, method: String, _ path: String, headers: HTTPFields, body: String) -> Response {
        shared.mutex.withLock { state in
            state.requests.append("\(method) \(path)")
            return route(&state, method: method, path: path, headers: headers, body: body)
        }
    }

    private static func route(_ state: inout State, method: String, path: String, headers: HTTPFields, body: String) -> Response {
        guard path.hasPrefix("/api2/json/") else { return reply(404, .null, reason: "Not Found") }
        let parts = path.dropFirst("/api2/json/".count).split(separator: "/").map(String.init)
        if method == "POST", parts == ["access", "ticket"] {
            let form = Dictionary(body.split(separator: "&").map { pair -> (String, String) in
                let items = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                return (items[0], items.count > 1 ? items[1] : "")
            }, uniquingKeysWith: { first, _ in first })
            guard form["username"] == username, form["password"] == password else { return reply(401, .null, reason: "authentication failure") }
            return reply(200, ["username": .string(username), "ticket": .string(ticket), "CSRFPreventionToken": .string(csrf),
                               "cap": ["nodes": ["Sys.Audit": 1]]])
        }
        let authorization = headers[.authorization] ?? ""
        let cookie = headers[.cookie] ?? ""
        guard authorization == "PVEAPIToken=\(token)" || (cookie.contains("PVEAuthCookie=\(ticket)") && headers.first { $0.name.canonicalName == "csrfpreventiontoken" }?.value == csrf)
        else { return reply(401, .null, reason: "invalid PVE ticket") }
        guard method == "GET" else { return reply(501, .null, reason: "Method not implemented") }
        switch parts {
        case ["version"]: return reply(200, ["version": "8.2.4", "release": "8.2", "repoid": "faa83925c9641325"])
        case ["cluster", "status"]: return reply(200, clusterStatus(state))
        case ["nodes"]: return reply(200, .array(state.nodes.map(nodeSummary)))
        default: break
        }
        guard parts.count >= 3, parts[0] == "nodes", let node = state.nodes.first(where: { $0.name == parts[1] }) else {
            return reply(404, .null, reason: "Not Found")
        }
        if !node.online || node.unreachable { return reply(595, .null, reason: "No route to host") }
        let rest = Array(parts.dropFirst(2))
        let guests = state.guests.filter { $0.node == node.name }
        switch rest {
        case ["status"]: return reply(200, nodeStatus(node))
        case ["network"]: return reply(200, nodeNetwork(node))
        case ["storage"]: return reply(200, nodeStorage)
        case ["qemu"]: return reply(200, .array(guests.filter { $0.type == "qemu" }.map(guestSummary)))
        case ["lxc"]: return reply(200, .array(guests.filter { $0.type == "lxc" }.map(guestSummary)))
        default: break
        }
        guard rest.count >= 3, let guest = guests.first(where: { $0.type == rest[0] && String($0.vmid) == rest[1] }) else {
            // What PVE says when a guest is asked for on a node it is not on.
            return reply(500, .null, reason: "Configuration file 'nodes/\(node.name)/qemu-server/\(rest.dropFirst().first ?? "").conf' does not exist")
        }
        let action = Array(rest.dropFirst(2))
        if action.count == 2, action[0] == "agent", guest.type == "qemu" { return agent(guest, command: action[1]) }
        switch action {
        case ["config"]: return reply(200, guest.config)
        case ["interfaces"] where guest.type == "lxc" && guest.running:
            return reply(200, [
                ["name": "lo", "hwaddr": "00:00:00:00:00:00", "inet": "127.0.0.1/8", "inet6": "::1/128"],
                ["name": "eth0", "hwaddr": "bc:24:11:c7:00:c8", "inet": .string(containerAddress(guest) + "/24"),
                 "inet6": "fe80::be24:11ff:fec7:c8/64"],
            ])
        default: return reply(501, .null, reason: "Method not implemented")
        }
    }

    private static func agent(_ guest: Guest, command: String) -> Response {
        guard guest.running, let addresses = guest.agentAddresses else { return reply(500, .null, reason: "QEMU guest agent is not running") }
        switch command {
        case "network-get-interfaces": return reply(200, ["result": agentInterfaces(guest, addresses)])
        case "get-host-name": return reply(200, ["result": ["host-name": .string(guest.name)]])
        case "get-osinfo":
            return reply(200, ["result": [
                "id": "debian", "kernel-release": "6.1.0-21-amd64", "machine": "x86_64", "name": "Debian GNU/Linux",
                "pretty-name": "Debian GNU/Linux 12 (bookworm)", "version": "12 (bookworm)", "version-id": "12",
            ]])
        default: return reply(501, .null, reason: "Method not implemented")
        }
    }

    private static func clusterStatus(_ state: State) -> JSONValue {
        var entries: [JSONValue] = []
        if let name = state.clusterName {
            entries.append(["type": "cluster", "id": "cluster", "name": .string(name), "nodes": .int(Int64(state.nodes.count)),
                            "quorate": 1, "version": 5])
        }
        for (index, node) in state.nodes.enumerated() {
            entries.append([
                "type": "node", "id": .string("node/\(node.name)"), "name": .string(node.name),
                "nodeid": .int(state.clusterName == nil ? 0 : Int64(index + 1)), "ip": .string(node.address),
                "online": .int(node.online ? 1 : 0), "local": .int(index == 0 ? 1 : 0), "level": "",
            ])
        }
        return .array(entries)
    }

    private static func nodeSummary(_ node: Node) -> JSONValue {
        guard node.online else { return ["node": .string(node.name), "id": .string("node/\(node.name)"), "type": "node", "status": "offline"] }
        return [
            "node": .string(node.name), "id": .string("node/\(node.name)"), "type": "node", "status": "online", "cpu": .double(0.031),
            "maxcpu": 32, "mem": 12_884_901_888, "maxmem": 68_719_476_736, "disk": 9_663_676_416, "maxdisk": 100_861_726_720,
            "uptime": 1_209_600, "level": "", "ssl_fingerprint": "5C:1E:8A:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00",
        ]
    }

    private static func nodeStatus(_ node: Node) -> JSONValue {
        [
            "cpuinfo": ["model": "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "cpus": 32, "sockets": 2, "cores": 16, "mhz": "2400.000", "hvm": "1"],
            "memory": ["total": 68_719_476_736, "used": 12_884_901_888, "free": 55_834_574_848],
            "pveversion": "pve-manager/8.2.4/faa83925c9641325",
            "kversion": "Linux 6.8.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.8-2 (2024-06-24T09:00Z)",
            "uptime": 1_209_600, "loadavg": ["0.10", "0.12", "0.09"],
            "rootfs": ["total": 100_861_726_720, "used": 9_663_676_416, "free": 91_198_050_304, "avail": 86_010_961_920],
        ]
    }

    private static func nodeNetwork(_ node: Node) -> JSONValue {
        [
            ["iface": "vmbr0", "type": "bridge", "method": "static", "address": .string(node.address), "netmask": "255.255.255.0",
             "cidr": .string(node.address + "/24"), "gateway": "10.10.0.1", "bridge_ports": "eno1", "active": 1, "autostart": 1,
             "families": ["inet"], "priority": 5],
            ["iface": "eno1", "type": "eth", "method": "manual", "active": 1, "exists": 1, "families": ["inet"], "priority": 3],
        ]
    }

    private static let nodeStorage: JSONValue = [
        ["storage": "local", "type": "dir", "content": "iso,vztmpl,backup", "total": 100_861_726_720, "used": 9_663_676_416,
         "avail": 86_010_961_920, "active": 1, "enabled": 1, "shared": 0, "used_fraction": .double(0.0958)],
        ["storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir", "total": 1_869_169_819_648, "used": 68_719_476_736,
         "avail": 1_800_450_342_912, "active": 1, "enabled": 1, "shared": 0, "used_fraction": .double(0.0368)],
    ]

    private static func guestSummary(_ guest: Guest) -> JSONValue {
        var summary: [String: JSONValue] = [
            "vmid": guest.type == "lxc" ? .string(String(guest.vmid)) : .int(Int64(guest.vmid)), "name": .string(guest.name),
            "status": guest.running ? "running" : "stopped", "cpus": guest.type == "lxc" ? 1 : 4,
            "maxmem": guest.type == "lxc" ? 536_870_912 : 8_589_934_592, "maxdisk": 34_359_738_368, "uptime": guest.running ? 3600 : 0,
        ]
        if guest.type == "lxc" { summary["type"] = "lxc" }
        return .object(summary)
    }

    private static func containerAddress(_ guest: Guest) -> String {
        let net = PVEGuestConfig.options(guest.config["net0"]?.stringValue ?? "")
        return String((net["ip"] ?? "").split(separator: "/").first ?? "")
    }

    private static func agentInterfaces(_ guest: Guest, _ addresses: [String]) -> JSONValue {
        let mac = PVEGuestConfig(guest.config).macAddresses.first ?? "bc:24:11:00:00:00"
        return [
            ["name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [
                ["ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8],
                ["ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128],
            ]],
            ["name": "ens18", "hardware-address": .string(mac), "ip-addresses": .array(
                addresses.map { ["ip-address": .string($0), "ip-address-type": "ipv4", "prefix": 24] }
                    + [["ip-address": "fe80::be24:11ff:fe5a:100", "ip-address-type": "ipv6", "prefix": 64]]),
             "statistics": ["rx-bytes": 1_048_576, "tx-bytes": 524_288]],
        ]
    }

    private static func reply(_ status: Int, _ data: JSONValue, reason: String = "OK") -> Response {
        var object: [String: JSONValue] = ["data": data]
        if status >= 400 { object["message"] = .string(reason + "\n") }
        return Response(
            status: .init(code: status, reasonPhrase: reason), headers: [.contentType: "application/json;charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(string: CollectorJSON.text(.object(object)))))
    }
}
