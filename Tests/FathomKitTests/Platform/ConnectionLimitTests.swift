@testable import FathomKit
import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

/// Issue 19, part 4: a connection limit, a header timeout and an idle timeout, against a live server on loopback.
@Suite(.timeLimit(.minutes(3))) struct ConnectionLimitTests {
    /// 2,000 idle connections against a limit of 50 do not stop the server answering another client at once; the
    /// server keeps at most the limit open and closes the rest after the idle timeout.
    @Test func idleFloodDoesNotStopOtherClients() async throws {
        // Both ends of the 2,000 connections live in this process.
        #expect(DescriptorLimit.raise(toAtLeast: 4_500) >= 4_500, "ulimit -n too low for this test")
        try await Harness.with(.sqlite, configure: { $0.maxConnections = 50; $0.idleTimeout = .seconds(12); $0.port = 0 }) { harness in
            // Run as `fathom serve` does: HummingbirdTesting's live mode rebuilds the server configuration without the
            // connection limit.
            try await withLiveServer(harness.services) { port in
                let flood = try await openConnections(2_000, port: port)
                #expect(flood.count == 2_000)
                // Another client on a new connection.
                let started = ContinuousClock.now
                let answer = try await plainRequest(port: port, path: "/healthz")
                let answeredIn = ContinuousClock.now - started
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
                // Well before the idle timeout: a server that waited for the flood to time out could not pass, while a
                // busy CI machine (the whole suite runs in parallel) still has room.
                #expect(answeredIn < .seconds(6), "answered in \(answeredIn)")
                // Past the limit the quietest idle connections were closed to make room.
                let withinLimit = await waitUntil(timeout: .seconds(3)) { flood.filter(\.isActive).count <= 50 }
                #expect(withinLimit, "\(flood.filter(\.isActive).count) flood connections still open")
                // The rest go when the idle timeout passes.
                let allClosed = await waitUntil(timeout: .seconds(20)) { flood.allSatisfy { !$0.isActive } }
                #expect(allClosed)
                let metrics = await harness.services.metrics.render()
                #expect(metrics.contains(#"fathom_http_connections_closed_total{reason="idle_at_limit"}"#))
                for channel in flood { try? await channel.close() }
            }
        }
    }

    /// A slow-header client is closed after the header timeout; a silent connection and a keep-alive connection after
    /// its answer stay open until the (longer) idle timeout.
    @Test func headerAndIdleTimeoutsCloseTheirConnections() async throws {
        try await Harness.with(.sqlite, configure: { $0.headerTimeout = .seconds(1); $0.idleTimeout = .seconds(4) }) { harness in
            try await buildApplication(services: harness.services).test(.live) { client in
                let port = try #require(client.port)
                let started = ContinuousClock.now
                let silent = try await openConnections(1, port: port)[0]
                let keptAlive = try await openConnections(1, port: port)[0]
                try await keptAlive.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).get()
                let slow = try await openConnections(1, port: port)[0]
                try await slow.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")).get()

                #expect(await waitUntil(timeout: .seconds(3)) { !slow.isActive })
                let slowClosedAfter = ContinuousClock.now - started
                #expect(slowClosedAfter >= .milliseconds(900), "slow-header connection closed after \(slowClosedAfter)")
                #expect(silent.isActive && keptAlive.isActive, "idle connections closed before the idle timeout")

                #expect(await waitUntil(timeout: .seconds(8)) { !silent.isActive && !keptAlive.isActive })
                let idleClosedAfter = ContinuousClock.now - started
                #expect(idleClosedAfter >= .milliseconds(3_900), "idle connections closed after \(idleClosedAfter)")
                let metrics = await harness.services.metrics.render()
                #expect(metrics.contains(#"fathom_http_connections_closed_total{reason="header_timeout"} 1"#))
                for channel in [silent, keptAlive, slow] { try? await channel.close() }
            }
        }
    }

    /// At the limit the quietest idle connection is closed; busy ones never are, and when all are busy the first to
    /// finish its answer makes room.
    @Test func atTheLimitOnlyIdleConnectionsMakeRoom() async throws {
        let limit = ConnectionLimit(maximum: 2)
        let older = EmbeddedChannel(), newer = EmbeddedChannel()
        try await older.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        try await newer.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        for channel in [older, newer] {
            limit.accepted()
            limit.register(channel)
        }
        #expect(limit.hasRoom() == false)
        #expect(!older.isActive && newer.isActive, "the older idle connection makes room")
        limit.unregister(older)
        limit.closed()
        #expect(limit.hasRoom())

        let third = EmbeddedChannel()
        try await third.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        limit.accepted()
        limit.register(third)
        limit.requestStarted(newer)
        limit.requestStarted(third)
        #expect(limit.hasRoom() == false)
        #expect(newer.isActive && third.isActive, "busy connections are never closed")
        #expect(limit.requestFinished(third), "the first to finish closes, so the waiting acceptor gets room")
        #expect(limit.requestFinished(newer) == false)
    }
}

/// Opens `count` plain TCP connections to the server on loopback, a few hundred at a time.
private func openConnections(_ count: Int, port: Int) async throws -> [any Channel] {
    var channels: [any Channel] = []
    for batchStart in stride(from: 0, to: count, by: 250) {
        try await withThrowingTaskGroup(of: (any Channel).self) { group in
            for _ in batchStart..<min(count, batchStart + 250) {
                group.addTask {
                    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(20))
                        .connect(host: "127.0.0.1", port: port).get()
                }
            }
            for try await channel in group { channels.append(channel) }
        }
    }
    return channels
}

/// Runs the application on a free loopback port until `body` returns.
private func withLiveServer<T: Sendable>(_ services: AppServices, _ body: (Int) async throws -> T) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = buildApplication(services: services) { port in continuation.yield(port) }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ConnectionTestError.serverDidNotStart }
        return try await body(port)
    }
}

/// One HTTP/1.1 request on a fresh blocking socket, read to the end (`Connection: close`); at most 10 s.
private func plainRequest(port: Int, path: String) async throws -> String {
    try await Task.detached {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ConnectionTestError.socket(errno) }
        defer { Glibc.close(socket) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ConnectionTestError.socket(errno) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        guard Glibc.send(socket, request, request.count, 0) == request.count else { throw ConnectionTestError.socket(errno) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }.value
}

enum ConnectionTestError: Error {
    case socket(Int32)
    case serverDidNotStart
}
