import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client over SwiftNIO (already in the graph) for the built-in collectors. Why not URLSession:
/// on Linux it can neither take a per-source CA bundle nor tell a TLS failure from a network one, and the
/// collectors must report exactly that (`*_TLS_ERROR` vs the retryable `*_NETWORK_ERROR`).
/// One connection per request: collectors make a handful of large requests, not many small ones.
struct HTTPTransport: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    enum Failure: Error, Sendable {
        case network(String)
        case tls(String)
        case timedOut
        case tooLarge
    }

    let tls: NIOSSLContext?
    let timeout: TimeAmount
    let maxBodyBytes: Int

    /// `verify: false` turns certificate checks off (the source asked for it explicitly); `caBundle` is a PEM file's
    /// path or PEM text, trusted instead of the system roots.
    init(useTLS: Bool, verify: Bool, caBundle: String?, timeoutMillis: Int64, maxBodyBytes: Int = 1 << 30) throws {
        timeout = .milliseconds(timeoutMillis)
        self.maxBodyBytes = maxBodyBytes
        guard useTLS else {
            tls = nil
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !verify { configuration.certificateVerification = .none }
        if let caBundle {
            let pem = caBundle.contains("-----BEGIN") ? Array(caBundle.utf8) : try Array(Data(contentsOf: URL(fileURLWithPath: caBundle)))
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(pem))
        }
        tls = try NIOSSLContext(configuration: configuration)
    }

    func send(_ method: HTTPMethod, _ url: URL, headers: [(String, String)], body: Data?) async throws -> Reply {
        guard let host = url.host else { throw Failure.network("the URL has no host") }
        let port = url.port ?? (tls == nil ? 80 : 443)
        let tls = self.tls
        let recorder = ErrorRecorder()
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            // SNI must not be an IP address; NIOSSL then checks the certificate against the peer's IP.
                            let name = Self.isIPAddress(host) ? nil : host
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                            try channel.pipeline.syncOperations.addHandler(recorder)
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Self.classify(error)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: Self.requestTarget(url))
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        let limit = maxBodyBytes
        let requestHead = head
        let raw = channel.channel
        do {
            return try await withThrowingTaskGroup(of: Reply?.self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        // One write: a server that answers and closes as soon as the body is in must not find an
                        // `.end` still to be written. A failed write still leaves any answer already read to read.
                        var parts: [HTTPClientRequestPart] = [.head(requestHead)]
                        if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                        parts.append(.end(nil))
                        try? await outbound.write(contentsOf: parts)
                        var status = 0
                        var responseHeaders = HTTPHeaders()
                        var collected = ByteBuffer()
                        for try await part in inbound {
                            switch part {
                            case .head(let head):
                                status = Int(head.status.code)
                                responseHeaders = head.headers
                            case .body(var chunk):
                                guard collected.readableBytes + chunk.readableBytes <= limit else { throw Failure.tooLarge }
                                collected.writeBuffer(&chunk)
                            case .end:
                                return Reply(status: status, headers: responseHeaders, body: Data(collected.readableBytesView))
                            }
                        }
                        throw Failure.network("the connection closed before the response ended")
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                    // Closing the channel ends the reader above with an error; the deadline is what is reported.
                    raw.close(promise: nil)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let reply = first else { throw Failure.timedOut }
                return reply
            }
        } catch {
            // A failed handshake closes the channel: the write or read then fails with "I/O on closed channel",
            // while the cause went down the pipeline. The recorded cause decides TLS vs network.
            let failure = Self.classify(error)
            if case .network = failure, let cause = recorder.first, case .tls(let reason) = Self.classify(cause) {
                throw Failure.tls(reason)
            }
            throw failure
        }
    }

    /// TLS failures are the certificate's or the handshake's (not retryable); everything else on the wire is network.
    static func classify(_ error: any Error) -> Failure {
        if let failure = error as? Failure { return failure }
        // By type: NIOSSL's errors wrap BoringSSL's, and the certificate checks throw NIOSSLExtraError.
        let typeName = String(reflecting: type(of: error))
        if error is NIOSSLError || error is NIOSSLExtraError || typeName.contains("NIOSSL") || typeName.contains("BoringSSL") {
            return .tls(String(describing: error))
        }
        return .network(String(describing: error))
    }

    static func requestTarget(_ url: URL) -> String {
        let path = url.path.isEmpty ? "/" : url.path
        return url.query.map { "\(path)?\($0)" } ?? path
    }

    static func isIPAddress(_ host: String) -> Bool { (try? SocketAddress(ipAddress: host, port: 0)) != nil }
}

/// Keeps the first error that passes the TLS handler (the handshake's), which the request's own error may hide.
private final class ErrorRecorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let lock = NSLock()
    private var recorded: (any Error)?

    var first: (any Error)? { lock.withLock { recorded } }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lock.withLock { if recorded == nil { recorded = error } }
        context.fireErrorCaught(error)
    }
}
