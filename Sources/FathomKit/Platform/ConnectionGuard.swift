import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with two handlers added: one that notices raw bytes arriving, and one (after
/// the request decoder) that enforces the header timeout and tells the ``ConnectionLimit`` which connections are
/// busy. The idle timeout stays Hummingbird's own.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limit: ConnectionLimit
    let headerTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // First in the pipeline, so it sees bytes before the decoder holds them back as a partial head.
            try channel.pipeline.syncOperations.addHandler(RequestBytesSignal(), position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }.map { value in
            // The async channel now exists and must reach `handle` whatever happens (dropping it traps), so a failure
            // here (the connection already closed) closes the connection instead of failing the setup.
            do {
                let operations = channel.pipeline.syncOperations
                let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try operations.addHandler(
                    ConnectionGuardHandler(limit: limit, headerTimeout: headerTimeout), position: .after(decoder))
            } catch {
                channel.close(promise: nil)
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Sent up the pipeline whenever bytes arrive, before the bytes themselves.
struct RequestBytesArrived {}

/// Turns every read into a ``RequestBytesArrived`` event for ``ConnectionGuardHandler``.
final class RequestBytesSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }
}

/// Closes a connection whose request head is not complete `headerTimeout` after its first byte (a slow-header
/// client), and reports requests starting and finishing to the connection limit.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limit: ConnectionLimit
    private let headerTimeout: TimeAmount
    private var requestsInProgress = 0
    private var headDeadline: Scheduled<Void>?
    private var registered = false

    init(limit: ConnectionLimit, headerTimeout: TimeAmount) {
        self.limit = limit
        self.headerTimeout = headerTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister(context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is RequestBytesArrived else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The first bytes of a new request head start its clock; bytes of a body, or of a pipelined request while one
        // is being answered, do not.
        guard requestsInProgress == 0, headDeadline == nil else { return }
        limit.touched(context.channel)
        let limit = self.limit
        headDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) {
            limit.recordClosed("header_timeout")
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headDeadline?.cancel()
            headDeadline = nil
            requestsInProgress += 1
            limit.requestStarted(context.channel)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        requestsInProgress = max(0, requestsInProgress - 1)
        if limit.requestFinished(context.channel) {
            limit.recordClosed("idle_at_limit")
            // New connections are waiting for room and this one has just become idle: answer, then make room.
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        } else {
            context.write(data, promise: promise)
        }
    }

    private func register(_ context: ChannelHandlerContext) {
        guard !registered else { return }
        registered = true
        limit.register(context.channel)
    }

    private func unregister(_ context: ChannelHandlerContext) {
        headDeadline?.cancel()
        headDeadline = nil
        guard registered else { return }
        registered = false
        limit.unregister(context.channel)
    }
}
