import Hummingbird
import NIOCore
import Synchronization

/// Captures a response body so it can be kept (an idempotent replay, a cached answer) and sent.
struct BodyCollector: ResponseBodyWriter {
    private final class Box: Sendable {
        let buffer = Mutex(ByteBuffer())
    }
    private let box = Box()

    var buffer: ByteBuffer { box.buffer.withLock { $0 } }
    var text: String { String(buffer: buffer) }

    mutating func write(_ buffer: ByteBuffer) async throws {
        box.buffer.withLock { var incoming = buffer; $0.writeBuffer(&incoming) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
